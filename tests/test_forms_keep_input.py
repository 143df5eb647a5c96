"""A form refused for one bad field gives back every other value the trainee typed.

Walks the same forms as tests/test_form_fuzz.py (every POST form of every page of app.url_map):
each visible text field gets a value of its own, one number or date field an impossible value;
when the answer is the form again (422), every typed text must be in it.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from tests.test_form_fuzz import FormParser, _destructive_path, _rules, fuzz_world  # noqa: F401 - fixture

IMPOSSIBLE = {"number": "douze", "date": "2026-02-30"}


def _forms(app, fuzzer) -> list[dict]:
    forms: dict[tuple, dict] = {}
    for rule in _rules(app, "GET"):
        url = fuzzer.url(rule)
        if url is None or "." in url.rsplit("/", 1)[-1]:
            continue
        try:
            response = fuzzer.client.get(url)
        except Exception:  # noqa: BLE001 - a factory's placeholder record (the fuzz test reports those)
            continue
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = FormParser()
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            action = form["action"] or url
            key = (urlsplit(action).path, tuple(sorted(form["fields"])))
            forms.setdefault(key, form | {"action": action})
    return [f for f in forms.values() if not _destructive_path(app, f["action"])]


def test_a_refused_form_keeps_what_was_typed(app, fuzz_world):
    fuzzer = fuzz_world
    lost, checked, statuses = [], 0, {}
    for form in _forms(app, fuzzer):
        texts = [name for name, kind in form["kinds"].items()
                 if kind == "text" and form["fields"].get(name) is not None and name not in ("q",)]
        wrong = next((name for name, kind in form["kinds"].items() if kind in IMPOSSIBLE), None)
        if not texts or wrong is None:
            continue
        data = {k: v for k, v in form["fields"].items() if v is not None}
        typed = {name: f"Saisie{i}Gardée" for i, name in enumerate(texts)}
        data.update(typed)
        data[wrong] = IMPOSSIBLE[form["kinds"][wrong]]
        if form["buttons"]:
            data[form["buttons"][0][0]] = form["buttons"][0][1]
        response = fuzzer.client.post(form["action"], data={**data, "csrf_token": fuzzer.token})
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code != 422:
            continue
        checked += 1
        page = response.get_data(as_text=True)
        missing = [name for name, value in typed.items() if value not in page]
        if missing:
            lost.append(f"{form['action']} ({wrong} wrong): lost {', '.join(missing)}")
    print(f"{checked} refused forms checked: {statuses}")
    assert checked >= 10, f"only {checked} forms answered 422 ({statuses}): is the walk broken?"
    assert not lost, "\n".join(lost)
