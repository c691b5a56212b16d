"""GoFlow2 definitions read and carried over as Waymark drafts (``manage.py import_goflow``).

- ``source``: a GoFlow2 project's definitions as plain records (its ``dumpdata``
  JSON), read into ``GoflowProcess`` values; pure Python;
- ``database``: the same records read from its database through a second
  ``DATABASES`` entry;
- ``mapping``: one GoflowProcess as a ``waymark.process/1`` definition, with
  notes on what could not be carried over and why; pure Python;
- ``importing``: writes the drafts through engine.services.definitions.
"""
