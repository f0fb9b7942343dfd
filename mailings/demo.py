"""Demo clients, messages, mailings and their history for `seed_demo`.

Idempotent: every row is found by its natural key before it is created, and a mailing's
history is written only when it has none, so a second run changes nothing.
"""

import datetime as dt
import hashlib
import random
import zoneinfo

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from audience.models import Client
from audience.suppressions import suppression_record
from sending.models import Attempt, Delivery

from .lifecycle import mailing_schedule
from .models import Mailing, Message

PEOPLE = [
    ("Анна Смирнова", "anna.smirnova@example.com"),
    ("Иван Кузнецов", "ivan.kuznetsov@example.com"),
    ("Мария Попова", "maria.popova@example.org"),
    ("Дмитрий Васильев", "d.vasiliev@example.com"),
    ("Екатерина Соколова", "katya.sokolova@example.org"),
    ("Алексей Михайлов", "alexey.mikhailov@example.com"),
    ("Ольга Новикова", "olga.novikova@example.com"),
    ("Сергей Фёдоров", "sergey.fedorov@example.org"),
    ("Наталья Морозова", "n.morozova@example.com"),
    ("Андрей Волков", "andrey.volkov@example.com"),
    ("Татьяна Алексеева", "tatiana.alexeeva@example.org"),
    ("Михаил Лебедев", "m.lebedev@example.com"),
    ("Елена Семёнова", "elena.semenova@example.com"),
    ("Павел Егоров", "pavel.egorov@example.org"),
    ("Юлия Павлова", "julia.pavlova@example.com"),
    ("Николай Козлов", "nikolay.kozlov@example.com"),
    ("Ирина Степанова", "irina.stepanova@example.org"),
    ("Владимир Николаев", "v.nikolaev@example.com"),
    ("Светлана Орлова", "svetlana.orlova@example.com"),
    ("Артём Андреев", "artem.andreev@example.org"),
    ("Анастасия Макарова", "a.makarova@example.com"),
    ("Максим Захаров", "maxim.zakharov@example.com"),
    ("Людмила Зайцева", "ludmila.zaitseva@example.org"),
    ("Роман Соловьёв", "roman.soloviev@example.com"),
    ("Вера Борисова", "vera.borisova@example.com"),
    ("Григорий Яковлев", "g.yakovlev@example.org"),
    ("Дарья Григорьева", "daria.grigorieva@example.com"),
    ("Константин Романов", "k.romanov@example.com"),
    ("Полина Воробьёва", "polina.vorobieva@example.org"),
    ("Евгений Сергеев", "evgeny.sergeev@example.com"),
    ("Ксения Кузьмина", "ksenia.kuzmina@example.com"),
    ("Фёдор Фролов", "fedor.frolov@example.org"),
    ("Алина Александрова", "alina.alexandrova@example.com"),
    ("Денис Дмитриев", "denis.dmitriev@example.com"),
    ("Маргарита Королёва", "m.koroleva@example.org"),
    ("Тимур Гусев", "timur.gusev@example.com"),
]

COMMENTS = ["постоянный клиент", "с выставки «Ритейл-2026»", "просил скидку", "опт", ""]

MESSAGES = {
    "anna": [
        (
            "Весенняя распродажа: −30% на всё",
            "Здравствуйте, {{ full_name }}!\n\nДо конца недели — скидка 30% на весь каталог. "
            "Промокод ВЕСНА30 действует при заказе на сайте.\n\n"
            "С уважением,\nкоманда «Цветочной лавки»",
        ),
        (
            "Еженедельный дайджест",
            "{{ full_name }}, добрый день!\n\nНовинки недели, советы по уходу за растениями и "
            "график доставки — в этом письме.\n\nХорошей недели!",
        ),
        (
            "Сводка заказов за день",
            "Здравствуйте, {{ full_name }}!\n\nВаши заказы за сегодня собраны и переданы в "
            "доставку. Подробности — в личном кабинете.",
        ),
        (
            "Приглашение на вебинар",
            "{{ full_name }}, приглашаем вас на бесплатный вебинар «Сад на балконе» в четверг "
            "в 19:00 по Москве.\n\nЧтобы участвовать, просто ответьте на это письмо.",
        ),
    ],
    "boris": [
        (
            "Новости автосервиса",
            "Здравствуйте, {{ full_name }}!\n\nВ этом месяце шиномонтаж со скидкой 15%, а "
            "диагностика ходовой — бесплатно при любом ремонте.",
        ),
        (
            "Напоминание о техосмотре",
            "{{ full_name }}, напоминаем: подошёл срок планового ТО вашего автомобиля. "
            "Запишитесь по телефону или ответом на это письмо.",
        ),
        (
            "Открытие нового филиала",
            "Здравствуйте, {{ full_name }}!\n\nМы открылись на Профсоюзной, 42. В первую "
            "неделю — мойка в подарок к любому заказу.",
        ),
    ],
}

# (subject, periodicity, start offset, end offset, final status, history kind)
MAILINGS = {
    "anna": [
        ("Весенняя распродажа: −30% на всё", "once", -12, None, "completed", "clean"),
        ("Еженедельный дайджест", "weekly", -35, 56, "running", "clean"),
        ("Сводка заказов за день", "daily", -9, 21, "running", "flaky"),
        ("Приглашение на вебинар", "once", 3, None, "created", None),
        ("Весенняя распродажа: −30% на всё", "monthly", -61, 120, "disabled", "clean"),
    ],
    "boris": [
        ("Новости автосервиса", "weekly", -22, 60, "running", "clean"),
        ("Напоминание о техосмотре", "once", -5, None, "completed", "refused"),
        ("Открытие нового филиала", "daily", 2, 9, "created", None),
        ("Напоминание о техосмотре", "monthly", -40, 300, "disabled", "flaky"),
    ],
}

CLIENT_SLICES = {"anna": slice(0, 32), "boris": slice(8, 36)}
UNSUBSCRIBED = {
    "anna": ["olga.novikova@example.com", "g.yakovlev@example.org"],
    "boris": ["roman.soloviev@example.com", "timur.gusev@example.com"],
}

OK_REPLY = "250 2.0.0 Ok: queued as {}"
TEMPORARY = "451 4.7.1 Try again later"
UNKNOWN_USER = "550 5.1.1 <{}>: Recipient address rejected: User unknown in virtual mailbox table"
STEP = {
    "daily": relativedelta(days=1),
    "weekly": relativedelta(weeks=1),
    "monthly": relativedelta(months=1),
    "once": None,
}


def seed_workspace(users: dict) -> None:
    """Clients, messages and mailings in every status, with past runs, for anna and boris."""
    now = timezone.now().replace(second=0, microsecond=0)
    for login in ("anna", "boris"):
        owner = users.get(login)
        if owner is not None:
            _seed_owner(owner, login, now)


@transaction.atomic
def _seed_owner(owner, login: str, now: dt.datetime) -> None:
    clients = _seed_clients(owner, login, now)
    messages = {
        subject: Message.objects.get_or_create(
            owner=owner, subject=subject, defaults={"body": body}
        )[0]
        for subject, body in MESSAGES[login]
    }
    # Runs go out at 10:00 in the owner's time zone.
    zone = zoneinfo.ZoneInfo(owner.time_zone)
    morning = timezone.localtime(now, zone).replace(hour=10, minute=0)
    for subject, periodicity, start_days, end_days, status, history in MAILINGS[login]:
        start_at = (morning + dt.timedelta(days=start_days)).astimezone(dt.UTC)
        mailing = Mailing.objects.filter(
            owner=owner, message=messages[subject], periodicity=periodicity
        ).first()
        if mailing is not None:
            continue
        mailing = Mailing.objects.create(
            owner=owner,
            message=messages[subject],
            periodicity=periodicity,
            start_at=start_at,
            end_at=start_at + dt.timedelta(days=end_days - start_days) if end_days else None,
        )
        mailing.clients.set(clients)
        if history:
            _seed_history(mailing, clients, history, now)
        if status == Mailing.Status.DISABLED:
            mailing.status = Mailing.Status.DISABLED
            mailing.save(update_fields=["status"])
        else:
            mailing_schedule(mailing=mailing)


def _seed_clients(owner, login: str, now: dt.datetime) -> list[Client]:
    existing = {c.email: c for c in Client.objects.owned_by(owner)}
    clients = []
    for index, (full_name, email) in enumerate(PEOPLE[CLIENT_SLICES[login]]):
        client = existing.get(email)
        if client is None:
            client = Client.objects.create(
                owner=owner,
                email=email,
                full_name=full_name,
                comment=COMMENTS[index % len(COMMENTS)],
                unsubscribed_at=now - dt.timedelta(days=3)
                if email in UNSUBSCRIBED[login]
                else None,
                status=Client.Status.UNSUBSCRIBED
                if email in UNSUBSCRIBED[login]
                else Client.Status.ACTIVE,
            )
            if client.status == Client.Status.UNSUBSCRIBED:
                suppression_record(client=client, status=client.status, at=client.unsubscribed_at)
        clients.append(client)
    return clients


def _queue_id(*parts) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()[:10].upper()


def _seed_history(mailing: Mailing, clients: list[Client], kind: str, now: dt.datetime) -> None:
    """Past runs from the start up to now: mostly delivered, with realistic failures."""
    rng = random.Random(f"{mailing.owner.email}/{mailing.message.subject}/{mailing.periodicity}")
    recipients = [c for c in clients if c.status == Client.Status.ACTIVE]
    zone = zoneinfo.ZoneInfo(mailing.owner.time_zone)
    step, first = STEP[mailing.periodicity], timezone.localtime(mailing.start_at, zone)
    runs = 0
    # Slots step in local time, as the scheduler's do: 10:00 stays 10:00 across months.
    while (slot := (first + step * runs if step else first)) <= now:
        attempt = Attempt.objects.create(
            mailing=mailing, started_at=slot, total_count=len(recipients)
        )
        deliveries, last_reply = [], ""
        # The server turned away part of the run with a temporary error, retried to the end.
        busy_share = {"refused": 0.5, "flaky": 0.25 if rng.random() < 0.3 else 0}.get(kind, 0)
        for client in recipients:
            if rng.random() < busy_share:
                status, reply, tries = "failed", TEMPORARY, 5
            elif kind != "clean" and rng.random() < 0.005:
                status, reply, tries = "failed", UNKNOWN_USER.format(client.email), 1
            else:
                status, reply, tries = "sent", OK_REPLY.format(_queue_id(slot, client.pk)), 1
            last_reply = reply if status == "failed" or not last_reply else last_reply
            deliveries.append(
                Delivery(
                    attempt=attempt,
                    client=client,
                    email=client.email,
                    full_name=client.full_name,
                    status=status,
                    server_response=reply,
                    tries=tries,
                    sent_at=slot + dt.timedelta(seconds=len(deliveries))
                    if status == "sent"
                    else None,
                )
            )
        Delivery.objects.bulk_create(deliveries)
        failed = sum(d.status == "failed" for d in deliveries)
        attempt.sent_count, attempt.failed_count = len(deliveries) - failed, failed
        attempt.status = Attempt.Status.FAILURE if failed else Attempt.Status.SUCCESS
        attempt.server_response = last_reply
        attempt.finished_at = slot + dt.timedelta(seconds=len(deliveries) + rng.randint(5, 40))
        attempt.save()
        if step is None:
            break
        runs += 1
