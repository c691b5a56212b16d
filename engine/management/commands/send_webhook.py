"""Send a test event to the webhook endpoints and print what each one answered.

manage.py send_webhook --action test.ping [--endpoint ID]
"""

from django.core.management.base import BaseCommand, CommandError

from engine.errors import InvalidData
from engine.models import WebhookDelivery, WebhookEndpoint
from engine.webhooks import delivery


class Command(BaseCommand):
    help = "Send a test event to every enabled webhook endpoint (or one) and print the results."

    def add_arguments(self, parser):
        parser.add_argument("--action", default="test.ping", help="event action (test.ping)")
        parser.add_argument("--endpoint", type=int, default=None, help="only this endpoint id")

    def handle(self, *args, action, endpoint, **options):
        target = None
        if endpoint is not None:
            target = WebhookEndpoint.objects.filter(pk=endpoint).first()
            if target is None:
                raise CommandError(f"No webhook endpoint with id {endpoint}.")
        try:
            # Sent here, in this process, so the results can be printed; the rows
            # are durable, so the reconciler retries whatever fails.
            deliveries = delivery.send_test_event(action, endpoint=target, dispatch=False)
        except InvalidData as exc:
            raise CommandError(exc.message) from exc
        if not deliveries:
            self.stdout.write("No enabled webhook endpoints: nothing sent.")
            return
        failed = 0
        for sent in deliveries:
            delivery.deliver(sent.pk)
            row = WebhookDelivery.objects.select_related("endpoint").get(pk=sent.pk)
            status = row.last_status_code if row.last_status_code is not None else "-"
            line = f"endpoint {row.endpoint_id} {row.endpoint.url}: {row.state} (HTTP {status})"
            if row.last_error:
                line += f" {row.last_error}"
                failed += 1
            if row.next_attempt_at:
                line += f"; next attempt at {row.next_attempt_at:%Y-%m-%d %H:%M:%S %Z}"
            self.stdout.write(line)
        self.stdout.write(f"{action}: {len(deliveries) - failed} delivered, {failed} failed")
