from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the admin/admin login for local development (DEBUG only)."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("refusing to create a well-known login with DEBUG off")
        User = get_user_model()
        if User.objects.filter(username="admin").exists():
            return
        User.objects.create_superuser("admin", "admin@localhost", "admin")
        self.stdout.write("created superuser admin / admin (development only)")
