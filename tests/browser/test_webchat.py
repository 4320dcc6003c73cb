"""The web chat page, driven like a voter would: keyboard only, then checked with axe-core."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Page, ViewportSize

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 360, "height": 740}
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
BOT = "#messages > li.msg--bot"
VOTER = "#messages > li.msg--voter"
WELCOME_BUTTON = f"{BOT} button[data-action]"
QUESTION = "je n'ai pas reçu le mail d'activation"


# ---- helpers -------------------------------------------------------------------------------


def open_chat(page: Page, url: str) -> None:
    """Open the page and wait for the welcome and its menu buttons."""
    page.goto(url)
    page.locator(WELCOME_BUTTON).first.wait_for()
    assert page.locator("#log").get_attribute("aria-busy") == "false"


def wait_for_answer(page: Page, answers_before: int) -> str:
    """Wait until the assistant has answered after `answers_before` messages; return the answer."""
    page.wait_for_function(
        """n => document.querySelectorAll('#messages > li.msg--bot').length > n
                && document.getElementById('log').getAttribute('aria-busy') === 'false'""",
        arg=answers_before,
    )
    new = page.locator(BOT).all()[answers_before:]
    return "\n\n".join(message.locator(".msg__text").inner_text() for message in new)


def tab_to(page: Page, condition: str, limit: int = 40) -> None:
    """Press Tab until `condition` (JS on `el`, the focused element) holds."""
    check = f"() => {{ const el = document.activeElement; return !!(el && ({condition})); }}"
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(check):
            return
    focused = page.evaluate("() => document.activeElement && document.activeElement.outerHTML")
    raise AssertionError(f"{limit} Tabs never reached `{condition}`; focus is on {focused}")


def focused(page: Page, selector: str) -> bool:
    """Whether the focused element is, or is inside, `selector`."""
    return bool(
        page.evaluate(
            "s => !!document.activeElement && !!document.activeElement.closest(s)", selector
        )
    )


def converse_with_keyboard(page: Page) -> tuple[str, str, str]:
    """Pick a welcome menu button with Tab + Enter, then ask a question; return what was said."""
    answers = page.locator(BOT).count()
    tab_to(page, "el.matches('#messages button[data-action]')")
    label = page.evaluate("() => document.activeElement.textContent")
    page.keyboard.press("Enter")
    topic_answer = wait_for_answer(page, answers)

    answers = page.locator(BOT).count()
    tab_to(page, "el.id === 'text'")
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    question_answer = wait_for_answer(page, answers)
    return label, topic_answer, question_answer


def assert_no_axe_violations(page: Page, where: str) -> None:
    """Run axe-core with the WCAG 2.1 A and AA rules; print the violations readably."""
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"axe-core at {where}:\n{results.generate_report()}"


# ---- tests ---------------------------------------------------------------------------------


def test_voter_gets_answers_using_only_the_keyboard(page: Page, live_server_url: str) -> None:
    open_chat(page, live_server_url)
    assert page.evaluate("() => document.documentElement.lang") == "fr"
    welcome = page.locator(BOT).first
    assert welcome.locator(".visually-hidden").first.inner_text() == "Assesseur :"
    welcome_text = welcome.locator(".msg__text").inner_text()

    label, topic_answer, question_answer = converse_with_keyboard(page)

    voter_turns = page.locator(VOTER).all_inner_texts()
    assert len(voter_turns) == 2
    # the menu choice shows as the voter's turn, marked for screen readers, and was answered
    assert voter_turns[0].startswith("Vous :")
    assert voter_turns[0].removeprefix("Vous :").strip() == label.strip()
    assert topic_answer.strip()
    assert topic_answer != welcome_text
    # after the typed question focus stays in the text field, which is emptied
    assert QUESTION in voter_turns[1]
    assert focused(page, "#text")
    assert page.input_value("#text") == ""
    # the fact is in the answer, and the answer is inside the polite live log region
    assert "usage unique" in question_answer or "portail" in question_answer.lower()
    log_text = page.locator("[role=log][aria-live=polite]").inner_text()
    assert question_answer.splitlines()[0] in log_text


def test_choosing_a_button_moves_focus_to_its_answer(page: Page, live_server_url: str) -> None:
    open_chat(page, live_server_url)
    answers = page.locator(BOT).count()
    tab_to(page, "el.matches('#messages button[data-action]')")
    page.keyboard.press("Enter")
    wait_for_answer(page, answers)

    first_answer = page.locator(BOT).nth(answers)
    assert first_answer.evaluate("el => el === document.activeElement")
    # the next Tab continues from the answer, not from the top of the page
    page.keyboard.press("Tab")
    assert first_answer.evaluate(
        "el => !!(el.compareDocumentPosition(document.activeElement)"
        " & (Node.DOCUMENT_POSITION_CONTAINED_BY | Node.DOCUMENT_POSITION_FOLLOWING))"
    )


def test_page_has_no_axe_violations_on_desktop_and_phone(page: Page, live_server_url: str) -> None:
    open_chat(page, live_server_url)
    converse_with_keyboard(page)
    assert_no_axe_violations(page, "1280×800")

    page.set_viewport_size(PHONE)
    assert_no_axe_violations(page, "360×740")
    width = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    assert width["scroll"] <= width["client"], f"horizontal scroll at 360 px: {width}"
    small = page.evaluate(
        """() => [...document.querySelectorAll('button, .btn, input')]
              .filter(el => el.offsetParent !== null)
              .map(el => [el.textContent.trim() || el.id, el.getBoundingClientRect()])
              .filter(([, box]) => box.height < 44 || box.width < 44)
              .map(([name, box]) => `${name}: ${box.width}×${box.height}`)"""
    )
    assert small == [], f"touch targets under 44 px: {small}"


def test_reload_restores_the_conversation_and_restart_begins_anew(
    page: Page, live_server_url: str
) -> None:
    open_chat(page, live_server_url)
    converse_with_keyboard(page)
    transcript = page.locator("#messages").inner_text()

    page.reload()
    page.locator(VOTER).last.wait_for()
    assert QUESTION in page.locator("#messages").inner_text()
    assert page.locator(BOT).count() >= 3
    assert page.locator("#messages").inner_text().count("Vous :") == transcript.count("Vous :")

    page.keyboard.press("Tab")
    assert focused(page, "#restart")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelectorAll('#messages > li').length === "
        "document.querySelectorAll('#messages > li.msg--bot').length"
    )
    page.locator(WELCOME_BUTTON).first.wait_for()
    assert page.locator(VOTER).count() == 0
    assert focused(page, "#restart")


def test_refused_or_lost_message_is_explained_and_the_text_is_kept(
    page: Page, live_server_url: str
) -> None:
    open_chat(page, live_server_url)
    tab_to(page, "el.id === 'text'")
    too_long = "ma question " * 400  # over the API's 4,000 characters
    page.fill("#text", too_long)
    page.keyboard.press("Enter")
    alert = page.locator("[role=alert]")
    alert.get_by_text("Votre message est trop long").wait_for()
    assert page.input_value("#text") == too_long
    assert page.locator(VOTER).count() == 0
    assert focused(page, "#text")

    page.fill("#text", "")
    page.keyboard.type("ma question")
    page.route("**/api/v1/conversations/*/messages", lambda route: route.abort())
    page.keyboard.press("Enter")
    alert.get_by_text("réessayer").wait_for()
    assert page.input_value("#text") == "ma question"
    assert page.locator(VOTER).count() == 0

    page.unroute("**/api/v1/conversations/*/messages")
    answers = page.locator(BOT).count()
    page.keyboard.press("Enter")
    wait_for_answer(page, answers)
    assert alert.inner_text() == ""
    assert page.input_value("#text") == ""
    assert "ma question" in page.locator(VOTER).last.inner_text()


def test_empty_message_is_not_sent(page: Page, live_server_url: str) -> None:
    open_chat(page, live_server_url)
    tab_to(page, "el.id === 'text'")
    page.keyboard.press("Enter")
    page.locator("[role=alert]").get_by_text("Veuillez écrire votre message").wait_for()
    assert page.locator(VOTER).count() == 0
    assert focused(page, "#text")


def test_unknown_stored_conversation_starts_a_new_one(page: Page, live_server_url: str) -> None:
    open_chat(page, live_server_url)
    page.evaluate("() => localStorage.setItem('assesseur.conversation_id', 'no-such-conversation')")
    page.reload()
    page.locator(WELCOME_BUTTON).first.wait_for()
    stored = page.evaluate("() => localStorage.getItem('assesseur.conversation_id')")
    assert stored
    assert stored != "no-such-conversation"
    assert page.locator("[role=alert]").inner_text() == ""


def test_page_speaks_english_when_asked(page: Page, live_server_url: str) -> None:
    open_chat(page, f"{live_server_url}/?lang=en")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    assert page.get_by_label("Your message").count() == 1
    assert page.locator(BOT).first.locator(".visually-hidden").first.inner_text() == "Assesseur:"
    assert_no_axe_violations(page, "1280×800, in English")
