"""Given names common in France (all origins), lower-cased, for the person-name rules.

A name that is also an everyday word or a place (France, Marine, Rose, Nancy...) is in
AMBIGUOUS: it only counts next to another name part or a civility (M., Mme...).
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NAMES = """
aaron abdel abdelkader abdellah abdou abdoul abdoulaye abdallah abel abigail achille adam adama adel adela adele adèle
adeline adil adam adolphe adrian adriana adrien adrienne agathe aglaé agnès ahmed ahmet aicha aïcha aida aimé aimée
aïssa aïssata aïssatou akim alain alan alba albane albert alberte albin alda alejandro aleksandra alessandra alessandro
alex alexandra alexandre alexandrine alexia alexis alfred ali alia alice alicia aline alix aliya allan alma alois
alphonse alpha amadou amandine amar amara amaury ambre amel amélie amin amina aminata amine amir amira anaïs anastasia
anatole andré andrea andréa andrée andrei andreï andrés angèle angélique angelo anissa anna annabelle anne annette
annick annie anouk anselme anthony antoine antoinette anton antonia antonin antonio apolline arielle ariane armand
armelle arnaud arsène arthur astrid aubin aude audrey augustin aurélie aurélien aurore axel axelle ayman ayoub aya
ayşe aziz aziza babacar balthazar baptiste barbara basile bastien batiste béatrice benjamin benoît benoit bérangère
bérénice bernadette bernard bertrand bilal binta blaise blandine bogdan boris brahim brice brigitte bruno camille
candice capucine carine carla carlos carmen carole caroline cassandre catherine cécile cédric céleste célia céline
chantal charlène charles charlie charline charlotte chloé christelle christian christiane christine christophe
claire clara clarisse claude claudette claudia claudine clémence clément clémentine clotilde colette colin coline
constant corentin corinne cyril cyrille daniel daniela danielle daouda david delphine denis denise diane didier
dimitri djamel djamila dmitri dominique donatien dorian dorothée driss dylan edgar édith edmond édouard eléonore
éléonore élia éliane élias élie élisa élisabeth élise eliott élodie éloïse elsa émeline émile émilie émilien emma
emmanuel emmanuelle emre enzo éric erwan ethan étienne eugène eugénie eva évelyne fabien fabienne fabrice fanny
farid farida fatiha fatima fatou fatoumata félix ferdinand fernand fernande fernando florence florent florian
francine francis franck françois françoise frédéric frédérique gabin gabriel gabrielle gaël gaëlle gaétan gaëtan
gaspard gautier geneviève georges georgette gérald gérard germain germaine ghislaine gilbert gilles ginette giovanni
gisèle giulia giuseppe grégoire grégory guillaume gustave guy gwenaëlle gwendoline hakim halima hamid hamza hanna
hannah hassan hélène henri henriette hervé hicham hippolyte hocine honoré hortense hugo hugues ibrahim ibrahima
idris ilan ilyes imane inès ingrid irène isaac isabelle ismaël ismail ivan jacqueline jacques jade jamel jamila
janine jasmine jean jeanne jeannine jennifer jérémie jérémy jérôme jessica joachim joël joëlle johan johanna john
jonathan jordan josé joseph josette josiane josué jules julia julie julien juliette justin justine kader kamel karim
karima karine katarzyna kévin kevin khadija khaled killian kylian laetitia laëtitia lamine lara laura laure laurence
laurent léa léna léo léon léonard léonie léopold leila leïla lena léane lilian liliane lilou lina lionel lisa loan
loïc lola lorenzo lou louane louis louise luc luca lucas lucie lucien lucienne lucile ludovic luis lydie lydia
madeleine madeline maël maëlle maëlys magali mahamadou mahé maïa maïwenn malik malika mamadou manon manuel manuela
marc marceau marcel marcelle marco margaux margot maria marianne marie mariam marina marion marius marjorie marlène
marthe martial martin martine maryse mathéo mathias mathieu mathilde matteo matthieu maud maurice max maxence maxime
mehdi mehmet mélanie mélissa mélodie michaël michel michèle micheline mickaël mila milan mireille mohamed mohammed
monique morgan morgane mourad moussa mustapha myriam nabil nadia nadine nadège naïma nathalie nathan nathanaël ndeye
nicolas nicole nina noah noé noël noémie nolan norbert océane octave odette odile olena olga olivia olivier omar
ophélie oscar ousmane pablo paola pascale patrice patricia patrick paul paule paulette pauline pedro perrine philippe
pierre pierrette piotr quentin rachel rachid rafael raphaël raphaëlle raymond raymonde rayan rebecca régine régis
rémi rémy renaud rené renée richard robert roger roland romain romane romuald ronan rosalie rose-marie roxane ruben
sabine sabrina sacha salim salma salomé sami samia samir samuel sandra sandrine sara sarah sébastien serge séverine
simon simone sofia sofiane solange solène sonia sophie stéphane stéphanie suzanne sylvain sylvie tanguy théo théodore
théophile thérèse thibault thibaut thierry thomas timéo timothée tom tristan ulysse valentin valentine valérie
vanessa véronique victor victoria vincent virginie viviane walid william xavier yacine yanis yann yannick yasmine
yassine yolande youssef yvan yves yvette yvonne zacharie zélie zineb zoé zohra
awa binta coumba djibril fodé habib issa kadiatou mariama oumar oumou seydou souleymane yaya
kofi kwame yao aya akissi kouamé
joão manuela rosa ana francisco luís paulo rui tiago inês beatriz
giacomo francesco chiara federica matteo alessio
minh thi hoa anh linh trang huong dung tuan thanh hung lan mai ngoc
wei mei lin li ling jun yan xiao hui hong ming
mehmet mustafa ayşe fatma emine hüseyin elif zeynep
olena oksana natalia natalya irina svetlana tatiana olga sergei sergueï vladimir andriy yulia
piotr pawel paweł agnieszka magdalena tomasz krzysztof anna
kenza lina yasmina amira nour sara selma rania ines hiba wassim anis adem ayoub bilel nassim karim khalid
souad nadia malika yamina fatiha zohra djamila houria saïd abderrahmane abdelaziz abdelhak nordine
noa ilyes mayssa jenna anaelle ambre lyna maëva kelly cindy steve teddy jimmy johnny mickael
damien eden elio enora erwann evan ewen gaston goulven gwendal gwenola huguette ilyès imran kilian killian
lenaïg liam louka luka maëlys maelys mattéo mia nolwenn samira sohan soizic timéo tugdual rodolphe arlette
marguerite maïwenn morgane ronan loïc yannick kylian rayan yanis sofiane mehdi yassine youssef ismaël
maël maëlle océane mélanie véronique ghislaine raymonde micheline solange odette lucienne gisèle andrée
"""

FIRST_NAMES: frozenset[str] = frozenset(_NAMES.split())

# Given names that are also common words or places: weak evidence on their own.
AMBIGUOUS: frozenset[str] = _words(
    """
    france marine rose aurore victoire constance prudence florence nancy valence lourdes espérance céleste
    olive violette capucine ambre jade mélodie noël mai lin li yan hong jun max lou constant royal modeste
    germain honoré aimé albert lina anis nour
    """
)


# Frequent surnames in France (all origins), lower-cased: with a given name or another
# name-like word they make a person even where the statistical NER hesitates.
_SURNAMES = """
martin bernard thomas petit robert richard durand dubois moreau laurent simon michel lefebvre leroy roux david
bertrand morel fournier girard bonnet dupont lambert fontaine rousseau vincent muller lefèvre faure andré mercier
blanc guérin boyer garnier chevalier françois legrand gauthier garcia perrin robin clément morin nicolas henry
roussel mathieu gautier masson marchand duval denis dumont marie lemaire noël meyer dufour meunier brun blanchard
giraud joly rivière lucas brunet gaillard barbier arnaud martinez gérard roche renard schmitt roy leroux colin
vidal caron picard roger fabre aubert lemoine renaud dumas lacroix olivier philippe bourgeois pierre benoît rey
leclerc payet rolland leclercq guillaume lecomte lopez jean dupuy guillot hubert berger carpentier sanchez dupuis
moulin louis deschamps huet vasseur perez boucher fleury royer klein jacquet adam poirier marty aubry guyot carré
charles renault charpentier ménard maillard baron bertin bailly hervé schneider fernandez collet léger bouvier
julien prévost millet perrot daniel cousin germain breton besson langlois rémy pelletier lévêque perrier leblanc
barré lebrun marchal weber mallet hamon boulanger jacob monnier michaud rodriguez guichard gillet étienne grondin
poulain tessier chevallier collin chauvin bouchet gay lemaître bénard maréchal humbert reynaud antoine hoarau
perret barthélemy cordier pichon lejeune gilbert lamy delaunay pasquier carlier laporte gonzalez lebon ledoux
guillou tanguy morvan quéré kerbrat le_gall le_goff le_roux le_bihan le_floch le_corre le_guen le_borgne
da_silva dos_santos ferreira pereira oliveira rodrigues fernandes gonçalves lopes martins sousa silva costa
carvalho almeida ribeiro teixeira monteiro mendes pinto
nguyen tran pham le hoang huynh phan vu vo dang bui do ho ngo duong ly
wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu lin guo he
diallo traoré diop ndiaye n'diaye camara koné cissé sow ba keita touré coulibaly diarra sylla fofana konaté
kouassi kouamé konan yao sangaré dembélé doumbia sissoko bamba sall fall faye gueye mbaye seck niang kane
benali ben_ali haddad bouzid belkacem mansouri amrani el_amrani cherif saïdi hamdi rahmani brahimi kaddour
benyahia boudjema meziane hadjadj belaid bensaid khelifi zerrouki aït_ahmed ben_youssef bouaziz chaouch
rossi russo bianchi romano ricci colombo ferrari esposito bruno gallo conti greco marino costa
kowalski nowak wiśniewski lewandowski kaminski ivanov petrov popov petrenko kovalenko shevchenko
yilmaz kaya demir çelik şahin öztürk aydın özdemir arslan doğan
schmidt müller schneider fischer wagner becker hoffmann koch
smith jones brown williams taylor wilson johnson o'connor van_den_berg de_jong
"""

SURNAMES: frozenset[str] = frozenset(w.replace("_", " ") for w in _SURNAMES.split())
__all__ = ["AMBIGUOUS", "FIRST_NAMES", "SURNAMES"]
