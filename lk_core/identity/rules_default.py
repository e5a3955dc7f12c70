"""The platform's default service rules, used until a utility publishes its own version.
Written as a template: {utility} is replaced by the utility's name."""

from __future__ import annotations

import re

CLAUSE = re.compile(r"\d+(\.\d+)*\. ")  # "2. Registration", "2.1. A customer ..."
HEADING = re.compile(r"\d+\. ")


def _unwrap(text: str) -> str:
    """One line per clause: the source below is wrapped for reading here, but the page turns
    every newline into a line break, which cut sentences mid-line on a phone."""
    lines: list[str] = []
    for line in text.splitlines():
        if lines and line and lines[-1] and not CLAUSE.match(line) \
                and not HEADING.match(lines[-1]):
            lines[-1] += " " + line
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"

TITLE_RU = "Правила пользования личным кабинетом"

TEXT_RU = _unwrap("""\
1. Общие положения
1.1. Личный кабинет (далее — сервис) предоставляет {utility} (далее — организация) для
абонентов, у которых открыт лицевой счёт. Сервис позволяет видеть начисления и счета,
передавать показания приборов учёта, оплачивать услуги, получать квитанции и направлять
обращения.
1.2. Пользуясь сервисом, абонент соглашается с настоящими правилами. Если абонент не
согласен с правилами, он не должен пользоваться сервисом.
1.3. Сведения о начислениях в сервисе отражают данные учётной системы организации.
При расхождении действуют данные учётной системы и платёжные документы.

2. Регистрация
2.1. Зарегистрироваться может абонент, знающий номер лицевого счёта и подтверждение,
которое выбрала организация: сумму к оплате по последней квитанции, серию и номер
паспорта, код регистрации с квитанции, либо лично в офисе организации.
2.2. При регистрации абонент указывает адрес электронной почты, на который приходит
первоначальный пароль или ссылка для его установки. Первоначальный пароль действует
ограниченное время и при первом входе заменяется собственным паролем абонента.
2.3. Для одного лицевого счёта создаётся только одна учётная запись. Абонент может
присоединить к своей учётной записи другие лицевые счета, подтвердив каждый из них.
2.4. Абонент, который зарегистрировал чужой лицевой счёт, используя чужие сведения,
несёт ответственность, предусмотренную законодательством.

3. Вход и пароль
3.1. Вход выполняется по номеру лицевого счёта и паролю.
3.2. Абонент обязан хранить пароль в тайне, не передавать его третьим лицам и сразу
сменить его, если есть основания полагать, что пароль стал известен другим.
Все действия, совершённые в сервисе после входа с паролем абонента, считаются
совершёнными абонентом.
3.3. После нескольких неудачных попыток вход временно блокируется. О блокировке
сообщается на адрес электронной почты абонента.
3.4. Забытый пароль восстанавливается по номеру лицевого счёта и адресу электронной
почты: на почту приходит одноразовая ссылка с ограниченным сроком действия.

4. Персональные данные
4.1. Организация обрабатывает данные абонента (номер лицевого счёта, адрес, сведения
о начислениях и платежах, показания, адрес электронной почты, номер телефона) только
для работы сервиса и исполнения договора на оказание услуг.
4.2. Уведомления по электронной почте и SMS направляются только с согласия абонента;
согласие можно отозвать в настройках личного кабинета.
4.3. Организация не передаёт данные абонента третьим лицам, кроме случаев,
предусмотренных законодательством, и лиц, обеспечивающих работу сервиса.

5. Изменение правил и прекращение работы сервиса
5.1. Организация вправе изменять настоящие правила. Новая редакция вступает в силу с
момента публикации; при следующем входе абонент знакомится с ней и принимает её.
5.2. Организация вправе временно приостановить работу сервиса (например, для
технических работ) или прекратить её, сообщив об этом на страницах сервиса.
Приостановка работы сервиса не освобождает абонента от оплаты услуг.
5.3. Организация вправе заблокировать учётную запись при нарушении настоящих правил.

6. Контакты
Вопросы о работе сервиса абонент может задать по телефону или электронной почте,
указанным на страницах сервиса, или в офисе организации.
""")

TITLE_EN = "Terms of use of the personal account"

TEXT_EN = _unwrap("""\
1. General
1.1. The personal account (the service) is provided by {utility} (the company) to
customers with an open account. It shows charges and invoices, takes meter readings and
payments, issues receipts and accepts appeals.
1.2. By using the service the customer accepts these rules. A customer who does not
accept them must not use the service.
1.3. Charges shown in the service reflect the company's billing system; where they
differ, the billing system and the payment documents prevail.

2. Registration
2.1. A customer registers with the account number and the proof the company chose: the
amount due on the latest receipt, passport series and number, the registration code
printed on the receipt, or in person at the company's office.
2.2. The customer gives an e-mail address, to which the initial password or a link to set
it is sent. The initial password is valid for a limited time and is replaced by the
customer's own password at first login.
2.3. An account has only one login. A customer may link further accounts to their login
by proving each of them.
2.4. Registering someone else's account with someone else's details is an offence.

3. Login and password
3.1. Login is by account number and password.
3.2. The customer keeps the password secret, does not share it and changes it at once if
it may have become known to others. Everything done after a login with the customer's
password is deemed done by the customer.
3.3. After several failed attempts login is locked for a while; the customer is told by
e-mail.
3.4. A forgotten password is reset with the account number and e-mail address: a one-time
link valid for a limited time is sent by e-mail.

4. Personal data
4.1. The company processes the customer's data (account number, address, charges and
payments, readings, e-mail, phone) only to run the service and to perform the supply
contract.
4.2. E-mail and SMS notices are sent only with the customer's consent, which can be
withdrawn in the settings.
4.3. The company does not pass the data to third parties except as the law requires and
to those who operate the service.

5. Changes and stopping the service
5.1. The company may change these rules. A new version applies from its publication; the
customer reads and accepts it at the next login.
5.2. The company may suspend the service (for example for maintenance) or stop it, with a
notice on the service's pages. A suspension does not release the customer from paying for
the supplied services.
5.3. The company may block a login that breaks these rules.

6. Contacts
Questions about the service: the phone, e-mail and office shown on the service's pages.
""")
