"""GoFlow2's ``goflow_cron``, kept for crontabs written for it: the same as ``run_scans``.

Rename it to ``manage.py run_scans`` when convenient (docs/migrating-from-goflow.md).
"""

from engine.management.commands.run_scans import Command as RunScans


class Command(RunScans):
    help = "GoFlow2's name for run_scans: " + RunScans.help
