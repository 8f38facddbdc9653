# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Translation files of crm_kpi: export the template, merge the languages,
check that nothing is missing.

    python tools/i18n.py export -d DB -- ODOO_ARGS...
    python tools/i18n.py check  -d DB -- ODOO_ARGS...

``DB`` is a database where crm_kpi is installed (``tools/kpi i18n`` makes
one). The terms come from Odoo's own exporter (``TranslationModuleReader``,
as ``odoo-bin i18n export`` uses it): field strings and help, selections,
views, menus, actions, data records (the KPI catalog), ``_()`` strings of
the Python code and ``_t()`` / QWeb strings of ``static/src``.

``export`` writes ``i18n/crm_kpi.pot`` and brings every ``i18n/<lang>.po``
of LANGUAGES in line with it: new terms are added untranslated, terms the
add-on no longer has are dropped, translations are kept.

``check`` exits non-zero, listing every problem, when

- a term of the add-on is missing from ``crm_kpi.pot``, or the template holds
  a term the add-on no longer has (run ``export``);
- a term is untranslated or fuzzy in one of the LANGUAGES;
- a translation loses or invents a placeholder (``%s``, ``%(name)s``,
  ``{name}``), which would break the string at run time;
- a translation is the English text itself, unless the term is a code, a
  unit or a word the language really shares with English (``SAME_AS_ENGLISH``);
- the name of a model crm_kpi extends (e.g. ``res.partner``) is translated
  otherwise than Odoo's own modules translate it: loading it would rename
  Odoo's model.

Odoo walks its addons path to find code terms and follows symbolic links;
the repository holds ``.venv`` and ``.odoo`` (which links back to the
repository), so the exporter is pointed at a clean view of the add-on
instead: a temporary folder whose ``crm_kpi`` links only the add-on's own
files.
"""

import argparse
import io
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "i18n"
MODULE = "crm_kpi"
LANGUAGES = ("nl", "de", "ro", "ja")
# What lies at the repository root but is not part of the add-on.
NOT_ADDON = {".git", ".venv", ".odoo", ".ci", "bench", "tools", "i18n", "__pycache__"}

PLACEHOLDER_RE = re.compile(r"%\([A-Za-z_]\w*\)[sdfr]|%[sdfr]|\{[A-Za-z_]\w*\}|\{\{.*?\}\}")

# Terms a translation may leave as in English: codes, units and acronyms
# (all languages), and words each language really uses as they are.
SAME_AS_ENGLISH_ALL = {
    "%",
    "CAC",
    "CES",
    "CLV",
    "CRM",
    "KPI",
    "KPIs",
    "MRR",
    "NPS",
    "ROI",
    "UTM",
    "XLSX",
    "h",
    "pts",
    "n/a",
    "ARR",
    "CES (1-7)",
    "NPS (0-10)",
    "ID",
}
SAME_AS_ENGLISH = {
    "nl": {
        "Team",
        "Status",
        "Marketing",
        "Code",
        "Online",
        "Budget",
        "Sales",
        "Medium",
        "Lead",
        "Dashboard",
        "Cohort",
        "E-mail",
        "Contact",
    },
    "de": {
        "Team",
        "Status",
        "Name",
        "Marketing",
        "Code",
        "Online",
        "Budget",
        "Medium",
        "Start",
        "Feedback",
        "Details",
        "Lead",
        "Dashboard",
    },
    "ro": {"Status", "Marketing", "Online", "Buget", "Total", "Personal", "E-mail", "Contact"},
    "ja": set(),
}


def placeholders(text):
    return sorted(PLACEHOLDER_RE.findall(text))


def may_stay_english(lang, msgid):
    if msgid in SAME_AS_ENGLISH_ALL or msgid in SAME_AS_ENGLISH.get(lang, ()):
        return True
    # Nothing but placeholders, digits, signs and codes in capitals.
    letters = re.sub(PLACEHOLDER_RE, "", msgid)
    return not re.search(r"[a-z]{2,}", letters)


# --------------------------------------------------------------- the exporter


def clean_addons_dir():
    """A temporary addons folder holding ``crm_kpi`` as links to its files."""
    tmp = Path(tempfile.mkdtemp(prefix="crm_kpi_i18n_"))
    module = tmp / MODULE
    module.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in NOT_ADDON and not entry.name.startswith("."):
            (module / entry.name).symlink_to(entry)
    # The exporter reads the shipped .po files too: link them as they are.
    if I18N.exists():
        (module / "i18n").symlink_to(I18N)
    return tmp


def odoo_args_with(addons_dir, odoo_args):
    """``odoo_args`` with the folder holding this repository's link replaced."""
    out = []
    for arg in odoo_args:
        if arg.startswith("--addons-path="):
            paths = [
                p
                for p in arg.split("=", 1)[1].split(",")
                if not (Path(p) / MODULE).resolve() == ROOT
            ]
            arg = "--addons-path=" + ",".join([*paths, str(addons_dir)])
        out.append(arg)
    return out


def export_template(dbname, odoo_args, languages=()):
    """The template (.pot text) of crm_kpi as Odoo exports it from
    ``dbname``, and Odoo's own names of the models crm_kpi extends in
    ``languages`` (see :func:`odoo_model_names`)."""
    addons_dir = clean_addons_dir()
    sys.path.insert(0, str(ROOT / "bench"))
    from common import odoo_environment  # noqa: PLC0415 -- bench/common.py opens the registry

    with odoo_environment(odoo_args_with(addons_dir, odoo_args), dbname) as env:
        from odoo.tools.translate import trans_export  # noqa: PLC0415

        buffer = io.BytesIO()
        if not trans_export(None, [MODULE], buffer, "po", env):
            sys.exit(f"crm_kpi is not installed in {dbname}")
        text = buffer.getvalue().decode()
        names = odoo_model_names(env, parse(text), languages) if languages else {}
        env.cr.rollback()
    for link in (addons_dir / MODULE).iterdir():
        link.unlink()
    (addons_dir / MODULE).rmdir()
    addons_dir.rmdir()
    return text, names


MODEL_NAME_RE = re.compile(rf"model:ir\.model,name:{MODULE}\.(model_\w+)$")


def odoo_model_names(env, template, languages):
    """{(lang, msgid): {Odoo's translations}} for the names of the models
    crm_kpi extends (``res.partner``, ``crm.lead`` ...). The template holds
    them because crm_kpi has an external id on those models too; loading a
    different translation would rename Odoo's model in that language, so
    ours must be one of the translations of the modules that define it."""
    from odoo.modules import get_module_path  # noqa: PLC0415

    wanted = {}
    for entry in template:
        for occurrence, _line in entry.occurrences:
            if match := MODEL_NAME_RE.match(occurrence):
                wanted[match.group(1)] = entry.msgid
    env.cr.execute(
        "SELECT name, module FROM ir_model_data WHERE model = 'ir.model'"
        " AND name = ANY(%s) AND module != %s",
        [list(wanted), MODULE],
    )
    names = {}
    for name, module in env.cr.fetchall():
        path = get_module_path(module, display_warning=False)
        for lang in languages:
            po = Path(path or "", "i18n", f"{lang}.po")
            if not path or not po.exists():
                continue
            found = re.search(
                rf"^#: [^\n]*model:ir\.model,name:{re.escape(module)}\.{re.escape(name)}\n"
                r"(?:#.*\n)*msgid .*\nmsgstr (\".*\")$",
                po.read_text(encoding="utf-8"),
                re.MULTILINE,
            )
            if found and found.group(1) != '""':
                names.setdefault((lang, wanted[name]), set()).add(found.group(1)[1:-1])
    return names


# ------------------------------------------------------------- the po files


def parse(text):
    import polib  # noqa: PLC0415 -- Odoo's own requirement, in the virtualenv

    return polib.pofile(text)


def stable(po):
    """Drop the dates the exporter stamps, so that a new export is no diff."""
    for key in ("POT-Creation-Date", "PO-Revision-Date"):
        po.metadata.pop(key, None)
    return po


def merged(template, lang):
    """``i18n/<lang>.po`` brought in line with ``template`` (a POFile)."""
    import polib  # noqa: PLC0415

    path = I18N / f"{lang}.po"
    old = {e.msgid: e for e in polib.pofile(str(path))} if path.exists() else {}
    po = polib.POFile()
    po.header = template.header
    po.metadata = dict(template.metadata)
    po.metadata["Language"] = lang
    po.metadata["Plural-Forms"] = (
        "nplurals=1; plural=0;" if lang == "ja" else "nplurals=2; plural=(n != 1);"
    )
    if lang == "ro":
        po.metadata["Plural-Forms"] = (
            "nplurals=3; plural=(n==1 ? 0 : (n==0 || (n%100 > 0 && n%100 < 20)) ? 1 : 2);"
        )
    for entry in template:
        previous = old.get(entry.msgid)
        po.append(
            polib.POEntry(
                msgid=entry.msgid,
                msgstr=previous.msgstr if previous else "",
                comment=entry.comment,
                occurrences=entry.occurrences,
                flags=[f for f in (previous.flags if previous else []) if f == "fuzzy"],
            )
        )
    return po


def cmd_export(dbname, odoo_args):
    template = stable(parse(export_template(dbname, odoo_args)[0]))
    I18N.mkdir(exist_ok=True)
    (I18N / f"{MODULE}.pot").write_text(str(template) + "\n")
    print(f"i18n/{MODULE}.pot: {len(template)} terms")
    for lang in LANGUAGES:
        po = merged(template, lang)
        (I18N / f"{lang}.po").write_text(str(po) + "\n")
        missing = sum(1 for e in po if not e.msgstr)
        print(f"i18n/{lang}.po: {len(po) - missing} translated, {missing} to translate")


def problems_of_language(template, lang, model_names=None):
    import polib  # noqa: PLC0415

    path = I18N / f"{lang}.po"
    if not path.exists():
        return [f"i18n/{lang}.po is missing"]
    entries = {e.msgid: e for e in polib.pofile(str(path)) if not e.obsolete}
    found = []
    for term in template:
        entry = entries.get(term.msgid)
        shown = term.msgid if len(term.msgid) < 70 else term.msgid[:67] + "..."
        if entry is None or not entry.msgstr.strip():
            found.append(f"{lang}: untranslated: {shown!r}")
        elif "fuzzy" in entry.flags:
            found.append(f"{lang}: fuzzy: {shown!r}")
        elif placeholders(entry.msgstr) != placeholders(term.msgid):
            found.append(
                f"{lang}: placeholders {placeholders(entry.msgstr)} instead of "
                f"{placeholders(term.msgid)}: {shown!r}"
            )
        elif (lang, term.msgid) in (model_names or {}):
            odoo = model_names[lang, term.msgid]
            if entry.msgstr not in odoo:
                found.append(
                    f"{lang}: {entry.msgstr!r} renames a model of Odoo that is "
                    f"{' or '.join(sorted(odoo))!r} in this language: {shown!r}"
                )
        elif entry.msgstr == term.msgid and not may_stay_english(lang, term.msgid):
            found.append(f"{lang}: left in English: {shown!r}")
    return found


def cmd_check(dbname, odoo_args, languages):
    text, model_names = export_template(dbname, odoo_args, languages)
    fresh = parse(text)
    path = I18N / f"{MODULE}.pot"
    failed = 0
    if not path.exists():
        print(f"FAILED template: i18n/{MODULE}.pot is missing (run tools/kpi i18n)")
        failed += 1
        shipped = parse("")
    else:
        shipped = parse(str(path))
        wanted = {e.msgid for e in fresh}
        have = {e.msgid for e in shipped}
        missing, stale = sorted(wanted - have), sorted(have - wanted)
        if missing or stale:
            failed += 1
            print(
                f"FAILED template: {len(missing)} term(s) missing from i18n/{MODULE}.pot, "
                f"{len(stale)} no longer in the add-on (run tools/kpi i18n):"
            )
            for msgid in missing[:40]:
                print(f"  missing: {msgid[:100]!r}")
            for msgid in stale[:40]:
                print(f"  stale:   {msgid[:100]!r}")
        else:
            print(f"ok template: {len(fresh)} terms")
    for lang in languages:
        found = problems_of_language(fresh, lang, model_names)
        if found:
            failed += 1
            print(f"FAILED {lang}: {len(found)} problem(s)")
            for line in found[:60]:
                print("  " + line)
            if len(found) > 60:
                print(f"  ... and {len(found) - 60} more")
        else:
            print(f"ok {lang}: {len(fresh)} terms translated")
    return failed


def main():
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("export", "check"))
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("-l", "--languages", nargs="+", default=list(LANGUAGES))
    args = parser.parse_args(argv[:split])
    odoo_args = argv[split + 1 :]
    os.chdir(ROOT)
    if args.command == "export":
        cmd_export(args.database, odoo_args)
    else:
        sys.exit(1 if cmd_check(args.database, odoo_args, args.languages) else 0)


if __name__ == "__main__":
    main()
