import email

from django.core.mail import send_mail

from sending.outbox import OutboxEmailBackend


def test_it_writes_one_eml_file_per_message(outbox_dir, settings):
    settings.EMAIL_BACKEND = "sending.outbox.OutboxEmailBackend"
    backend = OutboxEmailBackend()
    for n in range(2):
        send_mail(f"Привет {n}", "Тело", "from@example.com", ["to@example.com"], connection=backend)
    files = sorted(outbox_dir.glob("*.eml"))
    assert len(files) == 2
    parsed = email.message_from_bytes(files[0].read_bytes())
    assert parsed["To"] == "to@example.com"
    assert not list(outbox_dir.glob(".*.tmp"))
