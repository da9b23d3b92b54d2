from django.core.management.base import BaseCommand

from integrations.jobs import ledger


class Command(BaseCommand):
    help = (
        "Run the job-ledger sweeper once now: take back jobs whose worker died and wake "
        "workers for due jobs (the schedule runs it every minute)."
    )

    def handle(self, *args, **options) -> None:
        report = ledger.sweep()
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in report.items()))
