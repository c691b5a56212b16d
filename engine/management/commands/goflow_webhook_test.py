"""GoFlow2's ``goflow_webhook_test``, kept for its scripts: the same as ``send_webhook``.

Rename it to ``manage.py send_webhook`` when convenient (docs/migrating-from-goflow.md).
"""

from engine.management.commands.send_webhook import Command as SendWebhook


class Command(SendWebhook):
    help = "GoFlow2's name for send_webhook: " + SendWebhook.help
