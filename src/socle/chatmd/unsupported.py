"""Detect the ChatMD features of a file that Socle does not interpret.

Socle imports the structure of a chatbot (title, initial message, responses, keywords,
buttons) and shows its Markdown. ChatMD also has a small programming layer — dynamic
variables, conditional blocks, directives such as ``!Next``, plugins, calls to an LLM —
that Socle does not run. Each use is reported once per place (header, initial message or
response) with a French message; the rest of the file is imported all the same, and an
unmodified response is exported back with these features intact.
"""

from __future__ import annotations

import re
from typing import Any

from socle.chatmd.header import Settings, js_truthy
from socle.chatmd.model import Choice, Unsupported

HEADER = "en-tête YAML"
INITIAL = "message initial"

MESSAGES: dict[str, str] = {
    "en_tete_illisible": "L'en-tête YAML est illisible ({detail}) : ChatMD l'ignore, Socle aussi (options par défaut).",
    "en_tete_partiel": (
        "L'option « {detail} » a une valeur que ChatMD ne sait pas lire : ChatMD n'applique pas "
        "les options qui la suivent dans l'en-tête, et Socle fait de même."
    ),
    "variables_dynamiques": (
        "Variables dynamiques ({detail}) : non prises en charge par Socle ; le texte est affiché "
        "tel quel, sans calcul ni mémorisation des réponses."
    ),
    "blocs_conditionnels": (
        "Blocs conditionnels (`if …` / `endif`) : non pris en charge ; Socle affiche le contenu sans condition."
    ),
    "directive": "Directive « {detail} » non prise en charge : Socle l'ignore (elle est conservée à l'export).",
    "plugin": "Extension « {detail} » non prise en charge : le contenu correspondant est affiché brut.",
    "llm": (
        "Appel à un modèle de langage ({detail}) : ignoré ; Socle répond avec son propre modèle "
        "à partir des documents de l'assistant."
    ),
    "inclusion": (
        "Inclusion d'autres fichiers (`include`) : non récupérés, Socle fonctionne sans réseau ; "
        "importez ces fichiers séparément."
    ),
    "messages_aleatoires": "Messages aléatoires (variantes séparées par `---`) : Socle affiche la première variante.",
    "ordre_aleatoire": "Ordre aléatoire des boutons (`1)`) : Socle affiche les boutons dans l'ordre du fichier.",
    "variables_aleatoires": (
        "Variable fixe à plusieurs valeurs ({detail}) : ChatMD en tire une au hasard, Socle prend la première."
    ),
    "gros_mots": "Filtrage des grossièretés (`gestionGrosMots`) : non pris en charge par Socle.",
    "plusieurs_bots": "Plusieurs personnages (`bots`, `!Bot:`) : Socle répond sous un seul nom.",
    "geolocalisation": "Géolocalisation : non prise en charge par Socle.",
    "scorm": "Suivi SCORM (Moodle) : non pris en charge par Socle.",
    "synonymes_url": "Liste de synonymes à télécharger ({detail}) : non récupérée, Socle fonctionne sans réseau.",
    "clavier": "Clavier désactivé (`clavier: false`) : dans Socle, on peut toujours poser une question libre.",
    "apparence": "Options d'apparence ({detail}) : ignorées, Socle utilise sa propre interface.",
    "boutons_html": 'Boutons écrits en HTML (`<ul class="messageOptions">`) : affichés comme du HTML, pas comme des boutons.',
}

_APPEARANCE_KEYS = (
    "avatar",
    "avatarCircle",
    "avatarCercle",
    "favicon",
    "footer",
    "theme",
    "style",
    "typewriter",
    "typeWriter",
    "effetDactylo",
    "darkmode",
    "text2speech",
    "rewind",
    "retourArrière",
    "preload",
)
_DYNAMIC_KEYS = ("variablesDynamiques", "dynamicVariables", "contenuDynamique", "dynamicContent")

_DIRECTIVES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("!Next", re.compile(r"!Next ?:")),
    ("!SelectNext", re.compile(r"!SelectNext:")),
    ("!Select", re.compile(r"!Select ?: ?[0-9]")),
    ("!Bot", re.compile(r"!Bot:")),
    ("!Audio", re.compile(r"!Audio ?:")),
    ("!Keyboard", re.compile(r"!Keyboard\s*:\s*(?:true|false)", re.IGNORECASE)),
    ("!Typewriter", re.compile(r"!Typewriter\s*:\s*(?:true|false)", re.IGNORECASE)),
    ("!Confetti", re.compile(r"!Confettis?")),
)
_DYNAMIC_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("`@variable = …`", re.compile(r"`@[^`\s=]+\s*=")),
    ("`@variable`", re.compile(r"`@[^`\s]+`")),
    ("@INPUT", re.compile(r"@INPUT\b")),
    ("@GET…", re.compile(r"@GET\w")),
    ("calc()", re.compile(r"calc\(")),
    ("@LATITUDE/@LONGITUDE", re.compile(r"@(?:LATITUDE|LONGITUDE|POSITION_ACCURACY)\b")),
    ("formulaire <select>/<input>", re.compile(r"<(?:select|input)\b[^>]*`@")),
)
_IF_OR_ENDIF = re.compile(r"`if [^`]*`|`endif`")
_LLM_PATTERNS = (re.compile(r"`!useLLM`"), re.compile(r"!RAG\s*:"))
_FENCE = re.compile(r"^\s*(?:```|~~~)\s*([\w-]*)")
_RANDOM_SEPARATOR = re.compile(r"^---\s*$")
_BUTTON_LABEL_VARIABLE = re.compile(r"@[^\s=]+\s*=")


class Scanner:
    """Collects :class:`Unsupported` findings while the parser reads the file line by line."""

    def __init__(self, settings: Settings, options: dict[str, Any], yaml_error: str | None) -> None:
        self.settings = settings
        self.findings: list[Unsupported] = []
        self._seen: set[tuple[str, str]] = set()
        self.where = INITIAL
        self._scan_header(options, yaml_error)

    def add(self, kind: str, line: int, detail: str = "", feature: str | None = None) -> None:
        feature = feature or (f"{kind}:{detail}" if kind in ("directive", "plugin") else kind)
        if (feature, self.where) in self._seen:
            return
        self._seen.add((feature, self.where))
        self.findings.append(Unsupported(feature, self.where, line, MESSAGES[kind].format(detail=detail)))

    def enter(self, title: str, is_intro: bool) -> None:
        self.where = INITIAL if is_intro else title

    def line(self, line: str, number: int) -> None:
        fence = _FENCE.match(line)
        if fence and fence.group(1).lower() == "readcsv":
            self.add("plugin", number, "readcsv")
        for name, pattern in _DIRECTIVES:
            if pattern.search(line):
                if name == "!Bot":
                    self.add("plusieurs_bots", number)
                else:
                    self.add("directive", number, name)
        if any(p.search(line) for p in _LLM_PATTERNS):
            self.add("llm", number, "`!useLLM`")
        if self.where != INITIAL and _RANDOM_SEPARATOR.match(line):
            self.add("messages_aleatoires", number)
        if '<ul class="messageOptions">' in line:
            self.add("boutons_html", number)
        if self.settings.dynamic_content:
            if _IF_OR_ENDIF.search(line):
                self.add("blocs_conditionnels", number)
            for detail, pattern in _DYNAMIC_PATTERNS:
                if pattern.search(line):
                    self.add("variables_dynamiques", number, detail)
                    break

    def choice(self, choice: Choice, number: int) -> None:
        if choice.random:
            self.add("ordre_aleatoire", number)
        if choice.target.startswith("!useLLM"):
            self.add("llm", number, "bouton `!useLLM`")
        if self.settings.dynamic_content and _BUTTON_LABEL_VARIABLE.search(choice.label):
            self.add("variables_dynamiques", number, "bouton `@variable=valeur`")

    def _scan_header(self, options: dict[str, Any], yaml_error: str | None) -> None:
        self.where = HEADER
        if yaml_error:
            self.add("en_tete_illisible", 1, yaml_error)
        if self.settings.stopped_at:
            self.add("en_tete_partiel", 1, self.settings.stopped_at)
        if any(js_truthy(options.get(k)) for k in _DYNAMIC_KEYS):
            self.add("variables_dynamiques", 1, "`variablesDynamiques`")
        llm = options.get("useLLM") or options.get("utiliserLLM")
        if js_truthy(llm):
            self.add("llm", 1, "`useLLM`")
        if js_truthy(options.get("include")):
            self.add("inclusion", 1)
        for plugin in self.settings.plugins:
            if plugin not in ("textFit", "copycode", "highlight", "titleLinks"):
                self.add("plugin", 1, plugin)
        if js_truthy(options.get("gestionGrosMots")) or js_truthy(options.get("detectBadWords")):
            self.add("gros_mots", 1)
        if js_truthy(options.get("bots")):
            self.add("plusieurs_bots", 1)
        if js_truthy(options.get("geolocation")):
            self.add("geolocalisation", 1)
        if js_truthy(options.get("scorm")):
            self.add("scorm", 1)
        synonyms = options.get("synonymes") or options.get("synonyms")
        if isinstance(synonyms, str) and synonyms:
            self.add("synonymes_url", 1, synonyms)
        if any(options.get(k) is False for k in ("clavier", "keyboard", "userInput")):
            self.add("clavier", 1)
        appearance = [k for k in _APPEARANCE_KEYS if k in options]
        if appearance:
            self.add("apparence", 1, ", ".join(appearance))
        variables = options.get("variables")
        if isinstance(variables, dict):
            for name, value in variables.items():
                if (isinstance(value, list) and len(value) > 1) or (isinstance(value, str) and "///" in value):
                    self.add("variables_aleatoires", 1, f"`{name}`", feature=f"variables_aleatoires:{name}")


def format_report(findings: list[Unsupported], n_responses: int) -> str:
    """The French message shown at import: what is not supported, and that the rest is in."""
    if not findings:
        return f"Chatbot importé : {n_responses} réponse(s), toutes les fonctionnalités sont prises en charge."
    lines = [
        f"Chatbot importé : {n_responses} réponse(s). {len(findings)} élément(s) de ChatMD "
        "ne sont pas pris en charge par Socle ; le reste a été importé :"
    ]
    for f in findings:
        place = f"{f.where}, ligne {f.line}" if f.line else f.where
        lines.append(f"- [{place}] {f.message}")
    return "\n".join(lines)
