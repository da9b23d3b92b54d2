"""``python manage.py simulate_clawops``: try clawsite without a ClawOps account.

Posts made-up but realistic, correctly signed webhook sequences (an answered call, a missed
call, an outbound call, a transferred call, an SMS and its reply) to a running clawsite, so
its call log in admin fills up the way it would with real traffic.

The made-up calls are treated like real ones: where integrations are configured, a missed
call posts a Slack alert and a finished call a CRM activity. Point it at a development
server.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from calls import demo, demo_signing

WEBHOOK_PATH = "/webhooks/clawops/"
# ClawOps expects an answer within 5 s (product.md §3); a demo waiting longer is stuck.
TIMEOUT_SECONDS = 5.0

# The secret each scheme signs with, by the environment variable that sets it.
SECRET_VARIABLES = {demo.FORM: "CLAWOPS_SIGNING_KEY", demo.JSON: "CLAWOPS_WEBHOOK_SECRET"}


@dataclass(frozen=True)
class Answer:
    status: int
    outcome: str
    error: str


class Command(BaseCommand):
    help = (
        "Post realistic, signed ClawOps webhook sequences to a running clawsite, so its "
        "call log shows calls and messages without a ClawOps account. With --scheme both, "
        "the answered and transfer calls are sent form-encoded (X-Signature) and the missed "
        "call, outbound call and SMS reply as JSON (X-ClawOps-Signature). Transfer progress "
        "events are always form-encoded: ClawOps documents no JSON shape for them. "
        "The calls are handled like real ones (Slack alerts, CRM activities where configured)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            help="where clawsite listens (default: CLAWOPS_PUBLIC_BASE_URL). The signature "
            "always covers CLAWOPS_PUBLIC_BASE_URL, as ClawOps signs the URL it is "
            "configured with, not the one the request ends up at.",
        )
        parser.add_argument(
            "--scenario", choices=("all", *demo.SCENARIOS), default="all",
            help="which sequence to send (default: all)",
        )
        parser.add_argument(
            "--scheme", choices=(*demo.SCHEMES, "both"), default="both",
            help="form (X-Signature), json (X-ClawOps-Signature) or both (default)",
        )

    def handle(self, *args: object, **options: object) -> None:
        scenarios = demo.SCENARIOS if options["scenario"] == "all" else (str(options["scenario"]),)
        public_base = settings.CLAWOPS_PUBLIC_BASE_URL.rstrip("/")
        public_url = public_base + WEBHOOK_PATH
        target_url = str(options["url"] or public_base).rstrip("/") + WEBHOOK_PATH

        webhooks = _build(scenarios, str(options["scheme"]))
        signing_key, webhook_secret = _secrets_for(webhooks)

        self.stdout.write(f"Posting {len(webhooks)} webhooks to {target_url}")
        if target_url != public_url:
            self.stdout.write(f"  (X-Signature signed for the public URL {public_url})")
        # httpx logs every request at INFO; the line per webhook below says more.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        outcomes: Counter[str] = Counter()
        with httpx.Client(timeout=TIMEOUT_SECONDS) as client:
            for webhook in webhooks:
                request = demo_signing.sign(
                    webhook, public_url=public_url, signing_key=signing_key,
                    webhook_secret=webhook_secret,
                )
                answer = _post(client, target_url, request)
                self.stdout.write(_line(webhook, answer))
                if not 200 <= answer.status < 300:
                    raise CommandError(_refusal(webhook, answer, target_url))
                outcomes[answer.outcome] += 1
        self._summarise(outcomes, target_url)

    def _summarise(self, outcomes: Counter[str], target_url: str) -> None:
        counts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        self.stdout.write(f"Done: {sum(outcomes.values())} webhooks answered 2xx ({counts}).")
        if outcomes["failed"]:
            # Stored, but clawsite could not apply them: for well-formed demo data a bug.
            raise CommandError(
                f"{outcomes['failed']} webhooks were stored as needing attention (outcome "
                "failed); see 웹훅 수신 in admin for the error."
            )
        admin = target_url.removesuffix(WEBHOOK_PATH) + "/admin/calls/call/"
        self.stdout.write(self.style.SUCCESS(f"See the call log at {admin}"))


def _build(scenarios: tuple[str, ...], scheme_choice: str) -> list[demo.Webhook]:
    rng = random.SystemRandom()
    # Our own line and account when configured, so the demo looks like this installation.
    parties = demo.make_parties(
        rng, line=settings.CLAWOPS_FROM_NUMBER, account_id=settings.CLAWOPS_ACCOUNT_ID
    )
    return demo.build_webhooks(
        scenarios, scheme_choice, now=timezone.now(), parties=parties, rng=rng
    )


def _secrets_for(webhooks: list[demo.Webhook]) -> tuple[str, str]:
    """The first signing key and webhook secret, or a CommandError naming what is missing."""
    configured = {
        demo.FORM: list(settings.CLAWOPS_SIGNING_KEYS),
        demo.JSON: list(settings.CLAWOPS_WEBHOOK_SECRETS),
    }
    for scheme in demo.SCHEMES:
        users = sorted({w.scenario for w in webhooks if w.scheme == scheme})
        if users and not configured[scheme]:
            raise CommandError(
                f"{SECRET_VARIABLES[scheme]} is not set, and the {scheme} webhooks of "
                f"{', '.join(users)} are signed with it. Set it to the value the server "
                "uses, or choose other --scheme/--scenario options."
            )
    first = {scheme: (keys[0] if keys else "") for scheme, keys in configured.items()}
    return first[demo.FORM], first[demo.JSON]


def _post(client: httpx.Client, url: str, request: demo.SignedRequest) -> Answer:
    try:
        response = client.post(url, content=request.body, headers=request.headers)
    except httpx.TransportError as exc:
        raise CommandError(
            f"cannot reach clawsite at {url} ({type(exc).__name__}: {exc}). Start it "
            "(python manage.py runserver) or pass --url."
        ) from exc
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    return Answer(
        response.status_code,
        str(answer.get("outcome", "-")),
        str(answer.get("error", "")) or response.text[:200],
    )


def _line(webhook: demo.Webhook, answer: Answer) -> str:
    return (
        f"{webhook.scenario:<9} {webhook.scheme:<4} {webhook.event:<26} "
        f"{webhook.subject_id}  {answer.status} {answer.outcome}"
    )


def _refusal(webhook: demo.Webhook, answer: Answer, url: str) -> str:
    message = (
        f"{url} answered {answer.status} to {webhook.scenario} {webhook.event}: {answer.error}"
    )
    if answer.status == 401:
        message += (
            " — the server and this command must share CLAWOPS_SIGNING_KEY, "
            "CLAWOPS_WEBHOOK_SECRET and CLAWOPS_PUBLIC_BASE_URL (X-Signature covers that URL)."
        )
    elif answer.status == 400:
        message += " — is the host of --url in DJANGO_ALLOWED_HOSTS?"
    return message
