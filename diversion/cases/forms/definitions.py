"""Assessment form definitions: versioned data files beside this module.

A file `<id>.v<version>.toml` holds one version of one form: its `id`, `version`, `kind`
(urgent_needs or psychosocial), optional `sites` (slugs it is limited to) and `domains`, each
with questions of type text, boolean, number or choice. Every domain also takes the
participant's own words (`own_words`). Answers are stored with the form id and version they
answer, so adding a version never changes how old answers read.
"""

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

FORMS_DIR = Path(__file__).resolve().parent
OWN_WORDS = "own_words"
_TYPES = {"text", "boolean", "number", "choice"}


@dataclass(frozen=True)
class Question:
    id: str
    label: str
    type: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Domain:
    id: str
    label: str
    questions: tuple[Question, ...]

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)


@dataclass(frozen=True)
class FormDefinition:
    id: str
    version: int
    kind: str
    title: str
    domains: tuple[Domain, ...]
    sites: tuple[str, ...] = field(default=())

    def domain(self, did: str) -> Domain | None:
        return next((d for d in self.domains if d.id == did), None)

    def clean_answers(self, answers, *, prefix: str = "answers") -> dict:
        """Check ANSWERS against this form; return them normalised, or raise a
        ValidationError naming the first bad field (e.g. `answers.housing.situation`).

        A domain's value is an object of question ids (plus `own_words`), or a plain string,
        taken as the participant's own words.
        """
        if answers is None:
            return {}
        if not isinstance(answers, dict):
            raise ValidationError({prefix: "Answers are an object keyed by domain."})
        clean: dict = {}
        for did, value in answers.items():
            where = f"{prefix}.{did}"
            domain = self.domain(did)
            if domain is None:
                known = ", ".join(d.id for d in self.domains)
                raise ValidationError({where: f"Not a domain of form {self.id} v{self.version} "
                                              f"(known: {known})."})
            if value is None:
                continue
            if isinstance(value, str):
                value = {OWN_WORDS: value}
            if not isinstance(value, dict):
                raise ValidationError({where: "Give an object of answers or the participant's "
                                              "own words as text."})
            out = {}
            for qid, answer in value.items():
                qwhere = f"{where}.{qid}"
                if answer is None or answer == "":
                    continue
                if qid == OWN_WORDS:
                    if not isinstance(answer, str):
                        raise ValidationError({qwhere: "The participant's own words are text."})
                    out[qid] = answer.strip()
                    continue
                question = domain.question(qid)
                if question is None:
                    raise ValidationError({qwhere: "Not a question of this domain."})
                out[qid] = _clean_answer(question, answer, qwhere)
            if out:
                clean[did] = out
        return clean


def _clean_answer(question: Question, answer, where: str):
    if question.type == "text":
        if not isinstance(answer, str):
            raise ValidationError({where: "Give text."})
        if len(answer) > 5000:
            raise ValidationError({where: "At most 5,000 characters."})
        return answer.strip()
    if question.type == "boolean":
        if isinstance(answer, bool):
            return answer
        if answer in ("true", "yes", "on", "1"):
            return True
        if answer in ("false", "no", "0"):
            return False
        raise ValidationError({where: "Give yes or no (true or false)."})
    if question.type == "number":
        if isinstance(answer, bool) or not isinstance(answer, int | float | str):
            raise ValidationError({where: "Give a number."})
        try:
            number = float(answer)
        except ValueError:
            raise ValidationError({where: "Give a number."})
        if number < 0:
            raise ValidationError({where: "Give a number of zero or more."})
        return int(number) if number.is_integer() else number
    if answer not in question.choices:
        raise ValidationError({where: f"Choose one of: {', '.join(question.choices)}."})
    return answer


def _parse(path: Path) -> FormDefinition:
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    domains = []
    for d in doc["domains"]:
        questions = []
        for q in d.get("questions", []):
            if q["type"] not in _TYPES:
                raise ValueError(f"{path.name}: question {d['id']}.{q['id']} has unknown type")
            if q["type"] == "choice" and not q.get("choices"):
                raise ValueError(f"{path.name}: choice question {d['id']}.{q['id']} needs choices")
            questions.append(Question(id=q["id"], label=q["label"], type=q["type"],
                                      choices=tuple(q.get("choices", ()))))
        domains.append(Domain(id=d["id"], label=d["label"], questions=tuple(questions)))
    return FormDefinition(id=doc["id"], version=int(doc["version"]), kind=doc["kind"],
                          # Shown in the reader's language (the catalogue has the titles).
                          title=gettext_lazy(doc["title"]), domains=tuple(domains),
                          sites=tuple(doc.get("sites", ())))


@cache
def all_forms() -> tuple[FormDefinition, ...]:
    forms = [_parse(p) for p in sorted(FORMS_DIR.glob("*.toml"))]
    seen = set()
    for f in forms:
        if (f.id, f.version) in seen:
            raise ValueError(f"form {f.id} v{f.version} is defined twice")
        seen.add((f.id, f.version))
    return tuple(forms)


def form_get(form_id: str, version: int) -> FormDefinition:
    for f in all_forms():
        if f.id == form_id and f.version == version:
            return f
    raise LookupError(f"No form {form_id} v{version}.")


def form_current(kind: str, *, site_slug: str = "") -> FormDefinition:
    """The highest version of the form for KIND that applies to the site."""
    candidates = [f for f in all_forms()
                  if f.kind == kind and (not f.sites or site_slug in f.sites)]
    if not candidates:
        raise LookupError(f"No form for {kind}.")
    return max(candidates, key=lambda f: (bool(f.sites), f.version))
