"""A voter proves their address with a code from the outbox, sees their ballots and follows a
hand-off link that the reference portal accepts once and refuses the second time."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.chat import ChatServers
from tests.identity_helpers import code_mailed_to, link_in, mails_to, register

DURING_VOTE = "2022-12-02T10:00+01:00"


async def test_verified_voter_sees_ballots_and_uses_a_handoff_once(
    chat_servers: ChatServers,
) -> None:
    services = await chat_servers.services("2022")
    email = await register(services.engine)
    chat = await chat_servers.driver("2022", DURING_VOTE)
    await chat.start("fr")

    asked = await chat.action("account.start")
    assert asked.state == "identity.ask_email"
    sent = await chat.say(f"c'est {email.upper()}")
    assert sent.state == "identity.code_sent"
    assert "Si cette adresse est inscrite" in sent.text
    await services.conversations.drain()
    code = await code_mailed_to(services.engine, email)

    verified = await chat.say(code)
    assert verified.state == "account.start"
    assert email in verified.text
    assert "activé" in verified.text
    links = {b["label"]: b["url"] for b in verified.buttons if "url" in b}
    assert set(links) >= {
        "Aller voter (lien personnel)",
        "Nouveau code de vote",
        "Mot de passe oublié",
    }

    ballots = await chat.click("Mes scrutins")
    assert "• CSA ministériel" in ballots.text
    assert "• CSA d'établissement (à l'urne ou ailleurs)" in ballots.text

    vote_url = links["Aller voter (lien personnel)"]
    parts = urlsplit(vote_url)
    assert parts.path == "/portal/handoff"
    token = parse_qs(parts.query)["token"][0]
    landing = await chat.client.get(f"{parts.path}?{parts.query}")
    assert landing.status == 200
    assert "Continuer" in await landing.text()
    used = await chat.client.post(parts.path, data={"token": token, "lang": "fr"})
    assert used.status == 200
    assert "Lien accepté" in await used.text()
    assert email in await used.text()
    again = await chat.client.post(parts.path, data={"token": token, "lang": "fr"})
    assert again.status == 410
    assert "plus valable" in await again.text()

    history = await (await chat.client.get(f"/api/v1/conversations/{chat.conversation_id}")).json()
    lines = [m["text"] for m in history["messages"]]
    assert code not in " ".join(lines)
    assert "[code masqué]" in lines


async def test_handoff_links_are_offered_only_while_the_vote_is_open(
    chat_servers: ChatServers,
) -> None:
    services = await chat_servers.services("2022")
    email = await register(services.engine)
    chat = await chat_servers.driver("2022", "2022-11-20T10:00+01:00")
    await chat.start("fr")
    await chat.action("account.start")
    await chat.say(email)
    await services.conversations.drain()
    verified = await chat.say(await code_mailed_to(services.engine, email))
    assert verified.state == "account.start"
    labels = [b["label"] for b in verified.buttons if "url" in b]
    assert "Aller voter (lien personnel)" not in labels
    assert "Nouveau code de vote" not in labels
    assert "Mot de passe oublié" in labels
    assert "Le vote ouvrira le jeudi 1 décembre 2022 à 08h00" in verified.text


async def test_registered_and_unknown_addresses_get_the_same_words(
    chat_servers: ChatServers,
) -> None:
    services = await chat_servers.services("2022")
    known = await register(services.engine)
    answers = []
    for address in (known, "personne.inconnue@ac-versailles.fr"):
        chat = await chat_servers.driver("2022", DURING_VOTE)
        await chat.start("fr")
        await chat.action("account.start")
        reply = await chat.say(address)
        answers.append((reply.text, reply.labels, reply.state, reply.body["status"]))
    assert answers[0] == answers[1]
    await services.conversations.drain()
    assert len(await mails_to(services.engine, known)) == 1
    assert await mails_to(services.engine, "personne.inconnue@ac-versailles.fr") == []


async def test_wrong_codes_then_lock(chat_servers: ChatServers) -> None:
    services = await chat_servers.services("2022")
    email = await register(services.engine)
    chat = await chat_servers.driver("2022", DURING_VOTE)
    await chat.start("fr")
    await chat.action("account.start")
    await chat.say(email)
    await services.conversations.drain()
    code = await code_mailed_to(services.engine, email)
    wrong = "000000" if code != "000000" else "111111"
    replies = [await chat.say(wrong) for _ in range(5)]
    assert [r.state for r in replies] == ["identity.code_wrong"] * 4 + ["identity.locked"]
    assert "Essais restants : 4" in replies[0].text
    late = await chat.say(code)
    assert late.state != "account.start"


async def test_a_new_activation_link_without_proof_reaches_the_portal(
    chat_servers: ChatServers,
) -> None:
    services = await chat_servers.services("2022")
    email = await register(services.engine, activated=False)
    chat = await chat_servers.driver("2022", "2022-11-20T10:00+01:00")
    await chat.start("fr")
    await chat.action("activation.mail_missing")
    asked = await chat.click("Recevoir un nouveau lien")
    assert asked.state == "activation.ask_email"
    done = await chat.say(email)
    assert done.state == "activation.link_requested"
    await services.conversations.drain()
    mail = (await mails_to(services.engine, email))[0]
    assert "activation" in str(mail["subject"]).lower()
    url = urlsplit(link_in(str(mail["text"])))
    assert url.path == "/portal/activate"
    token = parse_qs(url.query)["token"][0]
    used = await chat.client.post(url.path, data={"token": token, "lang": "fr"})
    assert used.status == 200
    again = await chat.client.post(url.path, data={"token": token, "lang": "fr"})
    assert again.status == 410
    voter = await services.backend.platform.find_voter(email)
    assert voter is not None
    assert voter.activated


async def test_a_secret_gets_a_warning_and_is_masked(chat_servers: ChatServers) -> None:
    chat = await chat_servers.driver("2022", DURING_VOTE)
    await chat.start("fr")
    reply = await chat.say("mon mot de passe est Soleil#2022Bleu, ça ne marche pas")
    assert reply.intent == "secret_shared"
    assert reply.state == "guard.warning"
    assert "réassort" in reply.text
    history = await (await chat.client.get(f"/api/v1/conversations/{chat.conversation_id}")).json()
    assert "Soleil#2022Bleu" not in str(history)
    assert "[mot de passe masqué]" in str(history)


async def test_an_address_written_in_a_question_is_offered_for_the_proof(
    chat_servers: ChatServers,
) -> None:
    services = await chat_servers.services("2022")
    email = await register(services.engine)
    chat = await chat_servers.driver("2022", DURING_VOTE)
    await chat.start("fr")
    reply = await chat.say(f"bonjour, je ne reçois pas le mail d'activation sur {email}")
    assert "Vérifier cette adresse" in reply.labels
    assert email in reply.text
    sent = await chat.click("Vérifier cette adresse")
    assert sent.state == "identity.code_sent"
    await services.conversations.drain()
    verified = await chat.say(await code_mailed_to(services.engine, email))
    assert verified.state == "identity.verified"
