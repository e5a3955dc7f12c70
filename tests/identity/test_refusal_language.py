"""The refusal is translated per request: English readers get English."""


def test_refusal_follows_the_reader_s_language(client_a, in_tenant_a):
    data = {"account_number": "999999999", "proof": "1.00", "email": "x@example.test",
            "accept_rules": "on", "rules_version": 1}
    russian = client_a.post("/register/", data).content.decode()
    english = client_a.post("/register/", data, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "We could not confirm these details" in english
    assert "We could not confirm these details" not in russian
