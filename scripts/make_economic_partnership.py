#!/usr/bin/env python3
"""Write ``surveys/examples/economic-partnership.xlsx``, the XLSForm example, from the tables below.

The workbook is generated rather than edited by hand so that its content can be reviewed
in a diff. It is a development script, not part of the installed package. Run it from the
repository root after changing a row:

    python scripts/make_economic_partnership.py
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

LANGUAGES = ("English (en)", "Français (fr)", "العربية (ar)")

SURVEY_COLUMNS = (
    "type", "name",
    *(f"label::{language}" for language in LANGUAGES),
    *(f"hint::{language}" for language in LANGUAGES),
    "required", "relevant", "constraint",
    *(f"constraint_message::{language}" for language in LANGUAGES),
    "parameters",
)


def question(type_: str, name: str, label: tuple[str, str, str], *, hint: tuple[str, str, str] = ("", "", ""),
             required: str = "yes", relevant: str = "", constraint: str = "",
             message: tuple[str, str, str] = ("", "", ""), parameters: str = "") -> tuple[str, ...]:
    """One row of the survey sheet, in SURVEY_COLUMNS order."""
    return (type_, name, *label, *hint, required, relevant, constraint, *message, parameters)


SURVEY = (
    question("note", "welcome", (
        ("This consultation gathers the views of stakeholders on the proposed economic partnership between our two countries. "
         "Your answers are anonymous and will be summarised in the public report."),
        ("Cette consultation recueille l'avis des parties prenantes sur le projet de partenariat économique entre nos deux pays. "
         "Vos réponses sont anonymes et seront résumées dans le rapport public."),
        ("تجمع هذه الاستشارة آراء الأطراف المعنية حول مشروع الشراكة الاقتصادية بين بلدينا. "
         "إجاباتكم مجهولة الهوية وسيتم تلخيصها في التقرير العام."),
    ), required=""),
    question("select_one stakeholder", "stakeholder_type", (
        "Which group do you represent?", "Quel groupe représentez-vous ?", "ما هي الجهة التي تمثلونها؟",
    )),
    question("integer", "employees", (
        "How many people does your business employ?",
        "Combien de personnes votre entreprise emploie-t-elle ?",
        "كم عدد الأشخاص الذين تشغّلهم مؤسستكم؟",
    ), hint=("An approximate number is fine.", "Un nombre approximatif suffit.", "يكفي رقم تقريبي."),
        relevant="${stakeholder_type} = 'business'", constraint=". >= 1 and . <= 500000",
        message=("Enter a whole number between 1 and 500000.", "Saisissez un nombre entier entre 1 et 500000.",
                 "أدخلوا عددًا صحيحًا بين 1 و500000.")),
    question("select_multiple sector", "sectors", (
        "Which sectors are you active in?", "Dans quels secteurs êtes-vous actif ?", "في أي القطاعات تنشطون؟",
    ), hint=("Choose up to three.", "Choisissez-en trois au maximum.", "اختاروا ثلاثة قطاعات على الأكثر."),
        constraint="count-selected(.) <= 3",
        message=("Please choose at most three sectors.", "Veuillez choisir trois secteurs au maximum.",
                 "يرجى اختيار ثلاثة قطاعات على الأكثر.")),
    question("decimal", "export_share", (
        "What share of your income comes from exports to the partner country (in %)?",
        "Quelle part de vos revenus provient des exportations vers le pays partenaire (en %) ?",
        "ما هي نسبة دخلكم المتأتية من الصادرات إلى البلد الشريك (بالنسبة المئوية)؟",
    ), relevant="${stakeholder_type} = 'business' or ${stakeholder_type} = 'producer'", constraint=". >= 0 and . <= 100",
        message=("A share must be between 0 and 100.", "Une part doit être comprise entre 0 et 100.",
                 "يجب أن تكون النسبة بين 0 و100.")),
    question("range", "familiarity", (
        "How familiar are you with the draft agreement? (1 = not at all, 5 = very)",
        "Dans quelle mesure connaissez-vous le projet d'accord ? (1 = pas du tout, 5 = très bien)",
        "ما مدى اطلاعكم على مشروع الاتفاقية؟ (1 = لا أعرفه إطلاقًا، 5 = أعرفه جيدًا)",
    ), parameters="start=1 end=5 step=1"),
    ("begin group", "assessment", "", "", "", "", "", "", "", "${familiarity} >= 2", "", "", "", "", ""),
    question("select_one impact", "expected_impact", (
        "Overall, what effect do you expect the partnership to have on the people you represent?",
        "Dans l'ensemble, quel effet attendez-vous du partenariat pour les personnes que vous représentez ?",
        "بشكل عام، ما الأثر الذي تتوقعونه للشراكة على الأشخاص الذين تمثلونهم؟",
    )),
    question("select_multiple concern", "concerns", (
        "Which issues should the negotiators pay most attention to?",
        "À quelles questions les négociateurs devraient-ils accorder le plus d'attention ?",
        "ما هي القضايا التي ينبغي أن يوليها المفاوضون أكبر قدر من الاهتمام؟",
    ), constraint="not(selected(., 'none') and count-selected(.) > 1)",
        message=("'None of these' cannot be combined with other answers.",
                 "« Aucune de ces questions » ne peut pas être combinée avec d'autres réponses.",
                 "لا يمكن الجمع بين «لا شيء مما سبق» وإجابات أخرى.")),
    question("text", "labour_details", (
        "Which labour standards matter most to you, and why?",
        "Quelles normes du travail comptent le plus pour vous, et pourquoi ?",
        "ما هي معايير العمل الأكثر أهمية بالنسبة لكم، ولماذا؟",
    ), required="no", relevant="selected(${concerns}, 'labour')", constraint="string-length(.) <= 1000",
        message=("Please keep your answer under 1000 characters.", "Veuillez rester sous 1000 caractères.",
                 "يرجى ألا تتجاوز إجابتكم 1000 حرف.")),
    ("end group", "", "", "", "", "", "", "", "", "", "", "", "", "", ""),
    question("select_one yesno", "consulted_before", (
        "Have you been consulted on this partnership before?",
        "Avez-vous déjà été consulté·e sur ce partenariat ?",
        "هل سبقت استشارتكم بشأن هذه الشراكة؟",
    )),
    question("date", "last_consulted", (
        "When were you last consulted?", "Quand avez-vous été consulté·e pour la dernière fois ?", "متى تمت استشارتكم آخر مرة؟",
    ), hint=("As YYYY-MM-DD, for example 2025-06-30.", "Au format AAAA-MM-JJ, par exemple 2025-06-30.",
             "بالصيغة YYYY-MM-DD، مثلًا 2025-06-30."),
        relevant="${consulted_before} = 'yes'", constraint=". >= '2015-01-01' and . <= today()",
        message=("Enter a date between 2015 and today.", "Saisissez une date comprise entre 2015 et aujourd'hui.",
                 "أدخلوا تاريخًا بين عام 2015 واليوم.")),
    question("text", "recommendation", (
        "What one change to the draft would you recommend?",
        "Quel changement recommanderiez-vous d'apporter au projet ?",
        "ما هو التغيير الذي توصون بإدخاله على المشروع؟",
    ), required="no", constraint="string-length(.) <= 2000",
        message=("Please keep your answer under 2000 characters.", "Veuillez rester sous 2000 caractères.",
                 "يرجى ألا تتجاوز إجابتكم 2000 حرف.")),
)

CHOICES = (
    ("stakeholder", "business", "Business or employers' organisation", "Entreprise ou organisation patronale", "مؤسسة أو منظمة أصحاب عمل"),
    ("stakeholder", "union", "Trade union", "Syndicat", "نقابة عمالية"),
    ("stakeholder", "producer", "Farmers' or producers' organisation", "Organisation d'agriculteurs ou de producteurs", "منظمة مزارعين أو منتجين"),
    ("stakeholder", "civil_society", "Civil society organisation", "Organisation de la société civile", "منظمة من منظمات المجتمع المدني"),
    ("stakeholder", "research", "Research or academia", "Recherche ou université", "بحث علمي أو جامعة"),
    ("stakeholder", "other", "Other", "Autre", "أخرى"),
    ("sector", "agriculture", "Agriculture and food", "Agriculture et alimentation", "الزراعة والأغذية"),
    ("sector", "manufacturing", "Manufacturing", "Industrie manufacturière", "الصناعة التحويلية"),
    ("sector", "services", "Services", "Services", "الخدمات"),
    ("sector", "digital", "Digital economy", "Économie numérique", "الاقتصاد الرقمي"),
    ("sector", "energy", "Energy", "Énergie", "الطاقة"),
    ("sector", "fisheries", "Fisheries", "Pêche", "الصيد البحري"),
    ("impact", "very_positive", "Very positive", "Très positif", "إيجابي جدًا"),
    ("impact", "positive", "Somewhat positive", "Plutôt positif", "إيجابي إلى حد ما"),
    ("impact", "neutral", "No real effect", "Pas d'effet notable", "لا أثر يذكر"),
    ("impact", "negative", "Somewhat negative", "Plutôt négatif", "سلبي إلى حد ما"),
    ("impact", "very_negative", "Very negative", "Très négatif", "سلبي جدًا"),
    ("impact", "unsure", "I don't know yet", "Je ne sais pas encore", "لا أعرف بعد"),
    ("concern", "labour", "Labour standards", "Normes du travail", "معايير العمل"),
    ("concern", "environment", "Environment and climate", "Environnement et climat", "البيئة والمناخ"),
    ("concern", "small_producers", "Small producers", "Petits producteurs", "صغار المنتجين"),
    ("concern", "public_services", "Public services", "Services publics", "الخدمات العامة"),
    ("concern", "data", "Data protection", "Protection des données", "حماية البيانات"),
    ("concern", "none", "None of these", "Aucune de ces questions", "لا شيء مما سبق"),
    ("yesno", "yes", "Yes", "Oui", "نعم"),
    ("yesno", "no", "No", "Non", "لا"),
)

# XLSForm has no translated form title (pyxform fails on ``form_title::…`` columns), so
# the title is in the default language only; consultbot does not warn about that.
SETTINGS = (
    ("form_id", "form_title", "default_language", "version"),
    ("economic-partnership-2026", "Stakeholder consultation on the economic partnership",
     "English (en)", "2026010101"),
)


def build(path: Path) -> None:
    """Write the workbook to ``path``."""
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(SURVEY_COLUMNS)
    for row in SURVEY:
        survey.append(row)
    choices = workbook.create_sheet("choices")
    choices.append(("list_name", "name", *(f"label::{language}" for language in LANGUAGES)))
    for row in CHOICES:
        choices.append(row)
    settings = workbook.create_sheet("settings")
    for row in SETTINGS:
        settings.append(row)
    workbook.save(path)


if __name__ == "__main__":
    build(Path(__file__).parents[1] / "surveys" / "examples" / "economic-partnership.xlsx")
