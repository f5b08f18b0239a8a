"""The json grader on realistic extraction answers: company facts and medical entities/relations."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from evals.scenarios.graders import FieldCheck, compare_field, find_key, grade, parse_grader

COMPANY_CFG = yaml.safe_load(
    """
type: json
required_keys: [company_name, revenue, market_share, phone, email, products]
expected:
  company_name: Koala Analytics
  revenue: 200000000
  market_share: 0.7
  phone: 09812345678
  email: info@koalaanalytics.com.au
  products: [DataLens, Eucalyptus BI, ForecastPro]
schema:
  type: object
  properties:
    products: {type: array, items: {type: string}}
"""
)

COMPANY_GOOD = """Here is the extracted information:

```json
{
  "Company Name": "Koala Analytics Pty Ltd",
  "revenue": "approximately 200 million AUD",
  "marketShare": "70%",
  "contact": {
    "phone_number": "0981 234 5678",
    "Email": "Info@KoalaAnalytics.com.au"
  },
  "products": ["DataLens", "Eucalyptus BI", "ForecastPro"],
  "headquarters": "Sydney, Australia"
}
```

Let me know if you need anything else!"""

COMPANY_GOOD_BARE = (
    'Sure. {"company": {"companyName": "Koala Analytics", "annual_revenue": 200000000, '
    '"revenue": "AUD 200,000,000", "market share": 70, "PHONE": "+63 981 234 5678", '
    '"email": "info@koalaanalytics.com.au", "products": "DataLens, Eucalyptus BI and ForecastPro"}}'
)

COMPANY_MISSING = """```json
{"company_name": "Koala Analytics", "revenue": "200 million", "market_share": "70%",
 "products": ["DataLens", "Eucalyptus BI", "ForecastPro"]}
```"""

COMPANY_WRONG_EMAIL = COMPANY_GOOD.replace("Info@KoalaAnalytics.com.au", "sales@koala.com")
COMPANY_WRONG_NUMBERS = COMPANY_GOOD.replace("approximately 200 million", "about 20 million").replace(
    '"70%"', '"7%"')
COMPANY_INVALID = """```json
{
  "company_name": "Koala Analytics",
  "revenue": approximately 200 million AUD,
  "email": "info@koalaanalytics.com.au"
}
```"""
COMPANY_PROSE = ("Koala Analytics is a Sydney company with revenue of approximately 200 million AUD, a 70% "
                 "market share; call 0981 234 5678 or email info@koalaanalytics.com.au.")


@pytest.mark.parametrize(
    ("output", "passed", "score", "mentions"),
    [
        (COMPANY_GOOD, True, 1.0, "13/13 checks passed"),
        (COMPANY_GOOD_BARE, True, 1.0, "13/13 checks passed"),
        (COMPANY_MISSING, False, 9 / 13, "missing phone"),
        (COMPANY_WRONG_EMAIL, False, 12 / 13, "email: got 'sales@koala.com'"),
        (COMPANY_WRONG_NUMBERS, False, 11 / 13, "revenue: got 'about 20 million AUD'"),
        (COMPANY_INVALID, False, 0.0, "not valid JSON"),
        (COMPANY_PROSE, False, 0.0, "no JSON found"),
    ],
)
def test_company_extraction(output: str, passed: bool, score: float, mentions: str) -> None:
    result = grade(COMPANY_CFG, output)
    assert result.passed is passed, result.explanation
    assert result.score == pytest.approx(score, abs=1e-6)
    assert mentions in result.explanation


def test_schema_failure_is_reported() -> None:
    products = '["DataLens", "Eucalyptus BI", "ForecastPro"]'
    bad = COMPANY_GOOD.replace(products, '"DataLens, Eucalyptus BI, ForecastPro"')
    result = grade(COMPANY_CFG, bad)
    assert not result.passed and "schema:" in result.explanation


@pytest.mark.parametrize(
    ("kind", "expected", "actual", "ok"),
    [
        ("number", 200_000_000, "approximately 200 million AUD", True),
        ("number", "200 million", 200_000_000, True),
        ("number", 200_000_000, "$200M", True),
        ("number", 200_000_000, "200", False),
        ("percentage", "70%", 0.7, True),
        ("percentage", 0.7, 70, True),
        ("percentage", 70, "70 percent", True),
        ("percentage", 0.7, "7%", False),
        ("phone", "09812345678", "0981 234 5678", True),
        ("phone", "09812345678", "+63 981-234-5678", True),
        ("phone", "09812345678", "0981 234 5679", False),
        ("email", "info@x.com", " INFO@x.com ", True),
        ("email", "info@x.com", "mailto:info@x.com", True),
        ("email", "info@x.com", "sales@x.com", False),
        ("string", "Koala Analytics", "koala analytics pty ltd", True),
        ("string", "Koala Analytics", "Wombat Data", False),
        ("exact", "Sydney", " sydney ", True),
        ("exact", "Sydney", "Sydney, Australia", False),
        ("bool", True, "yes", True),
        ("bool", False, True, False),
    ],
)
def test_compare_field(kind: str, expected: object, actual: object, ok: bool) -> None:
    credit, _ = compare_field(kind, FieldCheck(value=expected, kind=kind), actual)
    assert credit == float(ok)


def test_list_field_partial_credit() -> None:
    credit, why = compare_field("list", FieldCheck(value=["a", "b", "c", "d"]), ["A", "b"])
    assert credit == 0.5 and why == "missing c, d"


@pytest.mark.parametrize(
    ("key", "value", "kind"),
    [
        ("phone", "0981", "phone"),
        ("contactPhone", "0981", "phone"),
        ("hotel_name", "Ritz", "string"),
        ("Email", "a@b", "email"),
        ("market_share_pct", 0.7, "percentage"),
        ("share", "70%", "percentage"),
        ("revenue", 2e8, "number"),
        ("revenue", "200 million", "number"),
        ("products", ["a"], "list"),
        ("listed", True, "bool"),
        ("name", "Koala", "string"),
    ],
)
def test_field_kind_inference(key: str, value: Any, kind: str) -> None:
    assert FieldCheck(value=value).resolved_kind(key) == kind


@pytest.mark.parametrize(
    ("key", "found", "value"),
    [
        ("company_name", True, "Koala"),
        ("Company Name", True, "Koala"),
        ("companyName", True, "Koala"),
        ("contact.phone", True, "123"),
        ("phone", True, "123"),
        ("address.phone", False, None),
        ("fax", False, None),
    ],
)
def test_find_key_nested_and_lenient(key: str, found: bool, value: object) -> None:
    data = {"data": [{"COMPANY-NAME": "Koala", "contact": {"Phone": "123"}}]}
    assert find_key(data, key) == (found, value)


def test_expected_accepts_nested_and_explicit_kinds() -> None:
    cfg = parse_grader({"type": "json", "expected": {
        "contact": {"phone": "123 456 7890"}, "share": {"value": 0.7, "kind": "percentage"}}})
    assert grade(cfg, '{"contact": {"tel": "x", "phone": "(123) 456-7890"}, "share": "70 %"}').passed


# ------------------------------------------------------------------------------ medical entities

MEDICAL_CFG = yaml.safe_load(
    """
type: json
terms:
  - [type 2 diabetes, T2DM, type II diabetes, type 2 diabetes mellitus, diabetes mellitus type 2]
  - metformin
  - [140/90 mmHg, 140/90 mm Hg, 140/90]
  - [ST-segment elevation, ST elevation, STE]
  - [troponin I, TnI, cTnI]
  - name: anterior myocardial infarction
    synonyms: [anterior STEMI, anterior wall ST-segment elevation myocardial infarction, anterior MI]
    all_of: [anterior, [myocardial infarction, STEMI, MI]]
  - aspirin
  - clopidogrel
  - [PCI, percutaneous coronary intervention]
relations:
  - {subject: metformin, object: type 2 diabetes}
  - [PCI, anterior myocardial infarction]
"""
)

MEDICAL_GOOD_NESTED = """```json
{
  "patient": {"age": 58, "sex": "male"},
  "conditions": [
    {"name": "Type 2 diabetes mellitus", "treatment": "metformin 1000 mg twice daily"},
    {"name": "Hypertension", "blood_pressure": "140/90 mmHg"}
  ],
  "findings": [
    {"test": "ECG", "result": "ST-segment elevation in leads V1-V4"},
    {"test": "Troponin I", "result": "elevated (2.3 ng/mL)"}
  ],
  "diagnosis": {"name": "Anterior wall ST-segment elevation myocardial infarction", "abbreviation": "STEMI",
                "management": ["aspirin 300 mg", "clopidogrel 600 mg", "primary PCI"]}
}
```"""

MEDICAL_GOOD_RELATIONS = """Entities and relations:
{"entities": [
   {"text": "T2DM", "type": "condition"}, {"text": "metformin", "type": "drug"},
   {"text": "BP 140/90", "type": "measurement"}, {"text": "ST elevation", "type": "finding"},
   {"text": "cTnI", "type": "lab"}, {"text": "anterior STEMI", "type": "diagnosis"},
   {"text": "aspirin", "type": "drug"}, {"text": "clopidogrel", "type": "drug"},
   {"text": "percutaneous coronary intervention", "type": "procedure"}],
 "relations": [["metformin", "treats", "T2DM"],
               ["percutaneous coronary intervention", "treats", "anterior STEMI"]]}"""

MEDICAL_GOOD_KEYED = json.dumps({
    "medications": {"metformin": "for type 2 diabetes", "aspirin": "loading", "clopidogrel": "loading"},
    "vitals": {"bp": "140/90 mmHg"},
    "ecg": "ST-segment elevation V1-V4", "labs": {"troponin I": "raised"},
    "anterior STEMI": {"treatment": "primary PCI"},
})

MEDICAL_UNLINKED = json.dumps({
    "conditions": ["type 2 diabetes", "hypertension", "anterior STEMI"],
    "medications": ["metformin", "aspirin", "clopidogrel"],
    "findings": ["BP 140/90 mmHg", "ST-segment elevation", "troponin I elevated"],
    "procedures": ["PCI"],
})

MEDICAL_MISSING = json.dumps({
    "conditions": [{"name": "type 2 diabetes", "drug": "metformin"}],
    "diagnosis": "inferior myocardial infarction",
    "findings": ["ST-segment elevation", "specific changes"],
    "treatment": ["aspirin"],
})


@pytest.mark.parametrize(
    ("output", "passed", "score", "mentions"),
    [
        (MEDICAL_GOOD_NESTED, True, 1.0, "11/11"),
        (MEDICAL_GOOD_RELATIONS, True, 1.0, "11/11"),
        (MEDICAL_GOOD_KEYED, True, 1.0, "11/11"),
        (MEDICAL_UNLINKED, False, 9 / 11, "relation 'metformin'–'type 2 diabetes' not linked"),
        (MEDICAL_MISSING, False, 5 / 11, "term 'troponin I' not found"),
        ("The patient has diabetes and had a heart attack.", False, 0.0, "no JSON"),
    ],
)
def test_medical_extraction(output: str, passed: bool, score: float, mentions: str) -> None:
    result = grade(MEDICAL_CFG, output)
    assert result.passed is passed, result.explanation
    assert result.score == pytest.approx(score, abs=1e-6), result.explanation
    assert mentions in result.explanation


def test_missing_medical_terms_are_named() -> None:
    explanation = grade(MEDICAL_CFG, MEDICAL_MISSING).explanation
    for term in ("140/90 mmHg", "anterior myocardial infarction", "clopidogrel", "PCI"):
        assert repr(term) in explanation
    assert "'ST-segment elevation' not found" not in explanation


@pytest.mark.parametrize(
    ("data", "linked"),
    [
        ({"drug": "metformin", "for": "type 2 diabetes"}, True),  # flat record
        ({"note": "metformin for type 2 diabetes"}, True),  # same string
        ({"rx": [{"drug": "metformin", "indication": {"condition": "type 2 diabetes"}}]}, True),
        ({"type 2 diabetes": ["metformin", "diet"]}, True),  # key → its value
        ({"relations": ["metformin", "type 2 diabetes"]}, True),  # a pair under a relations key
        ({"conditions": {"type 2 diabetes": {}}, "medications": {"metformin": {}}}, False),
        ({"conditions": {"primary": "type 2 diabetes"}, "medications": {"first": "metformin"}}, False),
        ({"list": ["type 2 diabetes", "hypertension", "metformin"]}, False),
        ({"a": ["type 2 diabetes"], "b": ["metformin"]}, False),
        ({"name": "type 2 diabetes", "drugs": ["metformin", "insulin"]}, True),  # a record with a list field
        ({"patient": {"dx": ["type 2 diabetes"], "rx": ["metformin"]}}, False),
    ],
)
def test_relation_linking_rules(data: object, linked: bool) -> None:
    cfg = {"type": "json", "relations": [["metformin", "type 2 diabetes"]]}
    assert grade(cfg, json.dumps(data)).passed is linked


@pytest.mark.parametrize(
    ("data", "passed"),
    [
        ({"relations": [{"s": "metformin", "p": "treats", "o": "type 2 diabetes"}]}, True),
        ({"relations": [{"s": "metformin", "p": "causes", "o": "type 2 diabetes"}]}, False),
    ],
)
def test_relation_predicate(data: object, passed: bool) -> None:
    cfg = {"type": "json", "relations": [["metformin", ["treats", "indicated for"], "type 2 diabetes"]]}
    assert grade(cfg, json.dumps(data)).passed is passed


def test_pass_threshold_allows_partial() -> None:
    cfg = {**MEDICAL_CFG, "pass_threshold": 0.8}
    assert grade(cfg, MEDICAL_UNLINKED).passed


def test_best_candidate_is_used() -> None:
    output = 'Example format: {"name": "..."}\n\nActual: {"name": "Koala", "email": "a@b.c"}'
    cfg = {"type": "json", "expected": {"name": "Koala", "email": "a@b.c"}}
    assert grade(cfg, output).passed


def test_search_keys_off() -> None:
    cfg = {"type": "json", "terms": ["metformin"], "search_keys": False}
    assert not grade(cfg, '{"metformin": "yes"}').passed
    assert grade({**cfg, "search_keys": True}, '{"metformin": "yes"}').passed
