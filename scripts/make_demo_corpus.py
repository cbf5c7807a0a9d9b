"""Write the binary documents of the demo corpus (demo/): DOCX, ODT and PDF.

The demo corpus is a set of short, fictional French administrative documents of the
"Mairie de Saint-Exemple". The Markdown, HTML and text files are written by hand in demo/;
the three binary ones are generated here from the text below, with the same libraries a
real office suite would be replaced by: python-docx, odfpy and reportlab (a dev
dependency).

    python scripts/make_demo_corpus.py [output_dir]
"""

from __future__ import annotations

import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape  # reportlab paragraphs are markup: "&" and "<" must be escaped

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
FIXED_DATE = datetime(2024, 4, 3, 9, 0, 0)  # so that regenerating gives the same metadata


@dataclass
class Heading:
    text: str
    level: int = 1


@dataclass
class Para:
    text: str


@dataclass
class Items:
    items: list[str]


@dataclass
class Grid:
    rows: list[list[str]]  # the first row is the header


Element = Heading | Para | Items | Grid


@dataclass
class DemoDocument:
    filename: str
    title: str
    subject: str
    body: list[Element] = field(default_factory=list)


TELETRAVAIL = DemoDocument(
    filename="charte-teletravail.docx",
    title="Charte du télétravail",
    subject="Conditions et modalités du télétravail des agents de la Mairie de Saint-Exemple",
    body=[
        Para(
            "La présente charte fixe les conditions du télétravail des agents de la Mairie de "
            "Saint-Exemple. Elle a été adoptée par le conseil municipal le 3 avril 2024, après avis "
            "du comité social territorial, et s'applique à compter du 1er mai 2024."
        ),
        Heading("1. Agents concernés"),
        Para(
            "Le télétravail est ouvert aux agents titulaires et contractuels dont les missions "
            "peuvent être exercées à distance, après 6 mois d'ancienneté sur leur poste. Il "
            "repose sur le volontariat : aucun agent ne peut y être contraint."
        ),
        Para(
            "Sont exclues les activités qui exigent une présence physique : accueil du public, "
            "entretien des espaces verts et des bâtiments, restauration scolaire et police "
            "municipale."
        ),
        Heading("2. Nombre de jours télétravaillés"),
        Para(
            "Un agent à temps complet peut télétravailler au maximum 2 jours par semaine. La "
            "présence sur site est obligatoire au moins 3 jours par semaine. En complément, chaque "
            "agent dispose d'un forfait de 10 jours flottants par an, à poser au moins 48 heures à "
            "l'avance."
        ),
        Grid(
            [
                ["Quotité de travail", "Jours fixes de télétravail par semaine"],
                ["Temps complet ou 90 %", "2 jours au maximum"],
                ["80 %", "1 jour au maximum"],
                ["Moins de 80 %", "Jours flottants uniquement"],
            ]
        ),
        Heading("3. Procédure de demande"),
        Items(
            [
                "L'agent adresse une demande écrite à son responsable avec le formulaire dédié.",
                "Un entretien permet de vérifier la compatibilité des missions avec le télétravail.",
                "L'administration répond dans un délai d'un mois ; tout refus est motivé.",
                "L'autorisation est accordée pour un an et renouvelable par accord exprès.",
            ]
        ),
        Para(
            "Une période d'adaptation de 3 mois ouvre chaque autorisation. L'agent ou "
            "l'administration peut mettre fin au télétravail à tout moment, avec un délai de "
            "prévenance de 2 mois, réduit à 1 mois pendant la période d'adaptation."
        ),
        Heading("4. Équipement et indemnisation"),
        Para(
            "La commune fournit un ordinateur portable, un casque et un accès sécurisé au réseau. "
            "La connexion internet personnelle reste à la charge de l'agent. Un forfait "
            "télétravail de 2,88 euros par jour télétravaillé est versé chaque trimestre, dans la "
            "limite de 253,44 euros par an."
        ),
        Heading("5. Temps de travail et droit à la déconnexion"),
        Para(
            "Le télétravailleur doit pouvoir être joint de 9 h à 12 h et de 14 h à 16 h 30. Aucune "
            "sollicitation ne lui est adressée avant 8 h, après 19 h, ni pendant le week-end, sauf "
            "astreinte."
        ),
        Heading("6. Santé et sécurité"),
        Para(
            "Un accident survenu sur le lieu de télétravail pendant les heures de service est "
            "présumé imputable au service. L'agent fournit une attestation d'assurance habitation "
            "couvrant l'exercice du télétravail à son domicile."
        ),
    ],
)

CANTINE = DemoDocument(
    filename="cantine-scolaire-inscription.odt",
    title="Restauration scolaire : inscription et tarifs 2024-2025",
    subject="Inscription à la cantine des écoles publiques de Saint-Exemple",
    body=[
        Para(
            "La restauration scolaire est un service facultatif proposé par la Mairie de "
            "Saint-Exemple aux enfants scolarisés dans les trois écoles publiques de la commune : "
            "l'école maternelle des Tilleuls, l'école élémentaire du Centre et le groupe scolaire "
            "des Vignes. Les repas sont préparés par la cuisine centrale municipale."
        ),
        Heading("Calendrier d'inscription"),
        Para(
            "Les inscriptions pour l'année scolaire 2024-2025 sont ouvertes du 2 mai au 30 juin 2024, "
            "sur le portail famille ou à l'accueil de la mairie. L'inscription doit être renouvelée "
            "chaque année. En cours d'année, une inscription est possible à condition d'être "
            "déposée au moins 5 jours ouvrés avant le premier repas."
        ),
        Heading("Pièces à fournir"),
        Items(
            [
                "un justificatif de domicile de moins de 3 mois ;",
                "l'attestation de quotient familial de la caisse d'allocations familiales ;",
                "la copie des pages de vaccination du carnet de santé ;",
                "le projet d'accueil individualisé (PAI) en cas d'allergie alimentaire.",
            ]
        ),
        Heading("Tarifs du repas"),
        Para(
            "Le prix du repas dépend du quotient familial. Sans attestation de quotient familial, "
            "le tarif le plus élevé est appliqué."
        ),
        Grid(
            [
                ["Quotient familial", "Prix du repas"],
                ["Moins de 500 €", "1,00 €"],
                ["De 500 à 899 €", "2,40 €"],
                ["De 900 à 1 299 €", "3,30 €"],
                ["1 300 € et plus", "4,20 €"],
                ["Enfant domicilié hors commune", "5,60 €"],
            ]
        ),
        Heading("Réservation et annulation des repas", 2),
        Para(
            "Les repas sont réservés ou annulés sur le portail famille au plus tard le jeudi à 12 h "
            "pour la semaine suivante. Passé ce délai, le repas réservé est facturé. En cas "
            "d'absence pour maladie, le repas n'est pas facturé à partir du deuxième jour, sur "
            "présentation d'un certificat médical dans les 8 jours."
        ),
        Heading("Facturation et paiement", 2),
        Para(
            "Une facture est établie chaque mois et doit être réglée avant le 15 du mois suivant, "
            "par prélèvement automatique, par carte bancaire sur le portail famille, par chèque ou "
            "en espèces à la régie municipale."
        ),
        Heading("Allergies et régimes alimentaires"),
        Para(
            "Un enfant allergique n'est accueilli qu'après signature d'un PAI par la famille, le "
            "médecin scolaire et le directeur d'école. Lorsque le PAI prévoit un panier-repas "
            "fourni par la famille, le tarif est réduit à 0,90 € par jour. Un menu sans porc et un "
            "menu végétarien sont proposés sur demande lors de l'inscription."
        ),
    ],
)

MUSEE = DemoDocument(
    filename="musee-reglement-visite.pdf",
    title="Règlement de visite du musée municipal",
    subject="Règlement intérieur applicable aux visiteurs du musée municipal de Saint-Exemple",
    body=[
        Para(
            "Le présent règlement s'applique à toute personne qui visite le musée municipal de "
            "Saint-Exemple. Il a été arrêté par le maire le 15 février 2024. Il est affiché à "
            "l'accueil et consultable sur le site de la commune."
        ),
        Heading("Article 1 – Horaires d'ouverture"),
        Para(
            "Le musée est ouvert du mercredi au dimanche de 10 h à 18 h, et de 10 h à 19 h du "
            "1er juillet au 31 août. Il est fermé le lundi, le mardi, le 1er janvier, le 1er mai et "
            "le 25 décembre. La dernière entrée a lieu 45 minutes avant la fermeture, et "
            "l'évacuation des salles commence 15 minutes avant la fermeture."
        ),
        Heading("Article 2 – Tarifs"),
        Para(
            "Le tarif plein est de 6 euros. Le tarif réduit, de 3 euros, s'applique aux étudiants, "
            "aux demandeurs d'emploi et aux personnes de plus de 65 ans, sur justificatif. L'entrée "
            "est gratuite pour les moins de 18 ans, pour les habitants de Saint-Exemple le premier "
            "dimanche de chaque mois et pour tous lors des Journées européennes du patrimoine."
        ),
        Heading("Article 3 – Visites de groupe"),
        Para(
            "Un groupe compte au moins 10 personnes. La visite d'un groupe se fait uniquement sur "
            "réservation, au moins 3 semaines à l'avance, auprès du service des publics. Un groupe "
            "ne peut pas dépasser 25 personnes, accompagnateurs compris. Les groupes scolaires "
            "sont accueillis gratuitement le mercredi matin et le jeudi."
        ),
        Heading("Article 4 – Vestiaire"),
        Para(
            "Les sacs dont les dimensions dépassent 40 × 30 cm, les valises, les parapluies et les "
            "casques doivent être déposés au vestiaire, qui est gratuit. Les objets déposés "
            "doivent être retirés le jour même, avant la fermeture."
        ),
        Heading("Article 5 – Comportement dans les salles"),
        Para(
            "Il est interdit de toucher les œuvres, de manger, de boire et de fumer dans les "
            "salles. Les photographies sans flash et sans pied sont autorisées pour un usage "
            "privé, sauf dans les expositions temporaires signalées par un pictogramme. Les "
            "enfants de moins de 12 ans doivent être accompagnés d'un adulte."
        ),
        Heading("Article 6 – Animaux"),
        Para(
            "Les animaux ne sont pas admis dans le musée, à l'exception des chiens guides "
            "d'aveugle et des chiens d'assistance."
        ),
        Heading("Article 7 – Accessibilité"),
        Para(
            "Toutes les salles sont accessibles aux personnes à mobilité réduite par l'ascenseur "
            "situé près de l'accueil. Deux fauteuils roulants et des sièges pliants sont prêtés "
            "gratuitement contre le dépôt d'une pièce d'identité."
        ),
        Heading("Article 8 – Sécurité et évacuation"),
        Para(
            "En cas d'alarme, les visiteurs suivent les consignes des agents et rejoignent le "
            "point de rassemblement situé sur le parvis. Le musée peut être fermé en partie ou en "
            "totalité pour des raisons de sécurité, sans remboursement du billet."
        ),
        Heading("Article 9 – Réclamations"),
        Para(
            "Les remarques et réclamations peuvent être consignées dans le registre tenu à "
            "l'accueil ou adressées par courrier au maire. Une réponse est apportée dans un délai "
            "de 30 jours."
        ),
    ],
)

PAGE_BREAK_BEFORE = "Article 5 – Comportement dans les salles"  # the PDF has two pages


# --------------------------------------------------------------------------- writers


def write_docx(doc: DemoDocument, path: Path) -> None:
    import docx

    out = docx.Document()
    props = out.core_properties
    props.title = doc.title
    props.subject = doc.subject
    props.author = "Mairie de Saint-Exemple"
    props.language = "fr-FR"
    props.created = props.modified = props.last_printed = FIXED_DATE
    props.revision = 1
    out.add_paragraph(doc.title, style="Title")
    for element in doc.body:
        if isinstance(element, Heading):
            out.add_heading(element.text, level=element.level)
        elif isinstance(element, Para):
            out.add_paragraph(element.text)
        elif isinstance(element, Items):
            for item in element.items:
                out.add_paragraph(item, style="List Bullet")
        else:
            table = out.add_table(rows=0, cols=len(element.rows[0]))
            table.style = "Table Grid"
            for row in element.rows:
                cells = table.add_row().cells
                for cell, text in zip(cells, row, strict=True):
                    cell.text = text
    out.save(str(path))


def write_odt(doc: DemoDocument, path: Path) -> None:
    from odf import dc, meta
    from odf.opendocument import OpenDocumentText
    from odf.style import ParagraphProperties, Style, TextProperties
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, List, ListItem, P

    out = OpenDocumentText()
    out.meta.addElement(dc.Title(text=doc.title))
    out.meta.addElement(dc.Subject(text=doc.subject))
    out.meta.addElement(dc.Language(text="fr-FR"))
    out.meta.addElement(meta.InitialCreator(text="Mairie de Saint-Exemple"))
    out.meta.addElement(meta.CreationDate(text=FIXED_DATE.isoformat()))

    title_style = Style(name="Title", family="paragraph")
    title_style.addElement(TextProperties(fontsize="20pt", fontweight="bold"))
    title_style.addElement(ParagraphProperties(marginbottom="0.4cm"))
    out.styles.addElement(title_style)
    heading_styles = {}
    for level, size in ((1, "16pt"), (2, "13pt")):
        style = Style(name=f"Heading {level}", family="paragraph", defaultoutlinelevel=str(level))
        style.addElement(TextProperties(fontsize=size, fontweight="bold"))
        style.addElement(ParagraphProperties(margintop="0.4cm", marginbottom="0.2cm"))
        out.styles.addElement(style)
        heading_styles[level] = style

    out.text.addElement(P(stylename=title_style, text=doc.title))
    for number, element in enumerate(doc.body):
        if isinstance(element, Heading):
            out.text.addElement(
                H(outlinelevel=element.level, stylename=heading_styles[element.level], text=element.text)
            )
        elif isinstance(element, Para):
            out.text.addElement(P(text=element.text))
        elif isinstance(element, Items):
            items = List()
            for text in element.items:
                item = ListItem()
                item.addElement(P(text=text))
                items.addElement(item)
            out.text.addElement(items)
        else:
            table = Table(name=f"Tableau{number}")
            table.addElement(TableColumn(numbercolumnsrepeated=len(element.rows[0])))
            for row in element.rows:
                table_row = TableRow()
                for text in row:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=text))
                    table_row.addElement(cell)
                table.addElement(table_row)
            out.text.addElement(table)
    out.save(str(path))


def write_pdf(doc: DemoDocument, path: Path) -> None:
    from reportlab import rl_config
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    rl_config.invariant = True  # no creation date nor random id: the file is reproducible
    styles = getSampleStyleSheet()

    def footer(canvas: Canvas, template: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.grey)
        canvas.drawString(2 * cm, 1.2 * cm, "Musée municipal de Saint-Exemple – Règlement de visite")
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"Page {template.page}/2")
        canvas.restoreState()

    story: list[object] = [Paragraph(escape(doc.title), styles["Title"])]
    for element in doc.body:
        if isinstance(element, Heading):
            if element.text == PAGE_BREAK_BEFORE:
                story.append(PageBreak())
            story.append(Paragraph(escape(element.text), styles["Heading2"]))
        elif isinstance(element, Para):
            story.append(Paragraph(escape(element.text), styles["BodyText"]))
        else:
            raise ValueError(f"unsupported element in the PDF: {element!r}")
    story.append(Spacer(1, 0.5 * cm))
    template = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        title=doc.title,
        subject=doc.subject,
        author="Mairie de Saint-Exemple",
        creator="scripts/make_demo_corpus.py",
        leftMargin=2.5 * cm,
        rightMargin=2.5 * cm,
        topMargin=2.5 * cm,
        bottomMargin=2.5 * cm,
    )
    template.build(story, onFirstPage=footer, onLaterPages=footer)


def freeze_zip(path: Path) -> None:
    """Give every member of a DOCX/ODT archive the same fixed date, so that regenerating the
    corpus leaves unchanged files byte-identical (member order and compression are kept:
    an ODT's "mimetype" must stay first and stored)."""
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in members:
            frozen = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE.timetuple()[:6])
            frozen.compress_type = info.compress_type
            frozen.external_attr = 0o644 << 16
            archive.writestr(frozen, data)


def main(argv: Sequence[str]) -> int:
    out_dir = Path(argv[0]) if argv else DEMO_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    for doc, writer in ((TELETRAVAIL, write_docx), (CANTINE, write_odt), (MUSEE, write_pdf)):
        path = out_dir / doc.filename
        writer(doc, path)
        if path.suffix in (".docx", ".odt"):
            freeze_zip(path)
        print(f"écrit : {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
