from django.core.management.base import BaseCommand

from integrations import tasks


class Command(BaseCommand):
    help = (
        "Run the job-ledger sweeper once now: plan the reminders of appointments that have "
        "none, take back jobs whose worker died and wake workers for due jobs (the schedule "
        "runs it every minute)."
    )

    def handle(self, *args, **options) -> None:
        report = tasks.sweep()
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in report.items()))
