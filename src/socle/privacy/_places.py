"""French place names (countries, regions, departments, large cities), lower-cased.

A capitalised run made only of these is a place, not a person: the rules settle it
without asking the NER (fewer false persons, less CPU).
"""

from __future__ import annotations

_PLACES = """
france allemagne autriche belgique bulgarie chypre croatie danemark espagne estonie finlande grèce hongrie irlande
italie lettonie lituanie luxembourg malte pays-bas pologne portugal roumanie slovaquie slovénie suède tchéquie
suisse norvège islande liechtenstein monaco andorre royaume-uni angleterre écosse irlande ukraine russie biélorussie
moldavie serbie bosnie albanie macédoine monténégro kosovo turquie géorgie arménie azerbaïdjan
algérie maroc tunisie libye égypte mauritanie mali niger tchad sénégal gambie guinée guinée-bissau sierra liberia
côte d'ivoire ghana togo bénin nigeria cameroun gabon congo centrafrique burkina faso burundi rwanda ouganda kenya
tanzanie éthiopie érythrée djibouti somalie soudan madagascar maurice comores seychelles mozambique angola zambie
zimbabwe namibie botswana afrique brazzaville kinshasa
états-unis canada québec mexique brésil argentine chili pérou colombie venezuela bolivie équateur uruguay paraguay
cuba haïti jamaïque
chine japon corée inde pakistan bangladesh sri lanka népal vietnam viêt nam cambodge laos thaïlande birmanie
malaisie singapour indonésie philippines afghanistan iran irak syrie liban jordanie israël palestine arabie
saoudite koweït qatar émirats oman yémen australie nouvelle-zélande vanuatu fidji
europe asie amérique océanie antarctique méditerranée atlantique pacifique manche
auvergne-rhône-alpes bourgogne-franche-comté bretagne centre-val de loire corse grand est hauts-de-france
île-de-france normandie nouvelle-aquitaine occitanie pays de la loire provence-alpes-côte d'azur guadeloupe
martinique guyane réunion mayotte polynésie nouvelle-calédonie wallis futuna saint-pierre-et-miquelon
saint-barthélemy saint-martin alsace lorraine champagne picardie limousin aquitaine languedoc roussillon
midi-pyrénées franche-comté bourgogne savoie dauphiné provence
ain aisne allier alpes-de-haute-provence hautes-alpes alpes-maritimes ardèche ardennes ariège aube aude aveyron
bouches-du-rhône calvados cantal charente charente-maritime cher corrèze corse-du-sud haute-corse côte-d'or
côtes-d'armor creuse dordogne doubs drôme eure eure-et-loir finistère gard haute-garonne gers gironde hérault
ille-et-vilaine indre indre-et-loire isère jura landes loir-et-cher loire haute-loire loire-atlantique loiret
lot lot-et-garonne lozère maine-et-loire marne haute-marne mayenne meurthe-et-moselle meuse morbihan moselle
nièvre nord oise orne pas-de-calais puy-de-dôme pyrénées-atlantiques hautes-pyrénées pyrénées-orientales bas-rhin
haut-rhin rhône haute-saône saône-et-loire sarthe haute-savoie seine-maritime seine-et-marne yvelines
deux-sèvres somme tarn tarn-et-garonne var vaucluse vendée vienne haute-vienne vosges yonne territoire de belfort
essonne hauts-de-seine seine-saint-denis val-de-marne val-d'oise
paris marseille lyon toulouse nice nantes montpellier strasbourg bordeaux lille rennes reims toulon saint-étienne
le havre grenoble dijon angers villeurbanne nîmes clermont-ferrand aix-en-provence le mans brest tours amiens
limoges annecy perpignan boulogne-billancourt metz besançon orléans rouen mulhouse caen nancy argenteuil
saint-denis montreuil roubaix tourcoing avignon nanterre créteil poitiers versailles pau colombes vitry-sur-seine
aubervilliers asnières-sur-seine la rochelle champigny-sur-marne rueil-malmaison antibes ajaccio saint-maur-des-fossés
cannes calais béziers bourges dunkerque saint-nazaire colmar quimper valence drancy mérignac la seyne-sur-mer
villeneuve-d'ascq troyes neuilly-sur-seine antony chambéry niort lorient sarcelles cergy pessac vénissieux
clichy ivry-sur-seine cayenne bastia saint-pierre le tampon fort-de-france pointe-à-pitre nouméa papeete mamoudzou
bayonne biarritz figeac sarlat sarlat-la-canéda issy-les-moulineaux bourg-en-bresse saint-malo vannes laval
chartres blois châteauroux auxerre nevers mâcon chalon-sur-saône belfort épinal bar-le-duc charleville-mézières
arras lens douai valenciennes maubeuge beauvais compiègne soissons laon saint-quentin évreux alençon cherbourg
saint-lô lisieux périgueux agen mont-de-marsan tarbes auch cahors rodez albi montauban carcassonne foix
mende privas gap digne-les-bains draguignan fréjus arles martigues aubagne vichy moulins aurillac le puy-en-velay
guéret tulle brive-la-gaillarde angoulême cognac saintes rochefort la roche-sur-yon cholet saumur saint-brieuc
versailles évry melun meaux bobigny pontoise nanterre vincennes chamonix lourdes vichy menton grasse hyères
sète narbonne thionville sedan vierzon saint-dié-des-vosges haguenau sélestat thonon-les-bains
corse vercors alpes pyrénées massif central bassin parisien seine loire garonne dordogne
""".replace("\n", " ")

PLACES: frozenset[str] = frozenset(w for w in _PLACES.split() if w) | frozenset(
    {"côte d'ivoire", "burkina faso", "sri lanka", "viêt nam", "grand est", "centre-val de loire", "pays de la loire",
     "la rochelle", "le havre", "le mans", "territoire de belfort", "massif central", "arabie saoudite",
     "sierra leone", "nouvelle-zélande", "le tampon", "saint-pierre"}
)  # fmt: skip

__all__ = ["PLACES"]
