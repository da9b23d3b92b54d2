from django.core.management.base import BaseCommand

from integrations.jobs import schedules


class Command(BaseCommand):
    help = "Create or update clawsite's periodic jobs (idempotent; run at every deploy)."

    def handle(self, *args, **options) -> None:
        report = schedules.sync()
        for outcome, names in report.items():
            for name in names:
                self.stdout.write(f"{outcome}: {name}")
