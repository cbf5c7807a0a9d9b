"""Well-known deceased public figures, whose names a cultural collection must keep.

Museums, libraries, archives and schools write about artists, writers, scientists and
historical figures: « les Gymnopédies d'Erik Satie » loses its meaning as « les Gymnopédies
de [PERSONNE_1] », and these names are not personal data in the sense of the RGPD, which
protects living persons only (recital 27). When a collection asks for it
(``Detector.detect(..., keep_public_figures=True)``), the detector leaves these names alone.

Inclusion criteria, for every name below:

- **deceased**, their death public and recorded, so the RGPD does not apply to them;
- **notable enough to be the subject of cultural documents**: the names French towns commonly
  give to their streets, schools, libraries, theatres and venues (Victor Hugo, Jean Moulin,
  Jules Ferry...), and the artists, writers, composers, scientists, historical and political
  figures a museum catalogue, an exhibition leaflet or a school's cultural programme names;
- **written in full** as people write them (« Paul Cézanne », « Jean de La Fontaine »); a few
  are also known by their surname alone (« Cézanne », « Molière »): those are in
  :data:`SURNAME_ONLY`, which holds only surnames that are not also common French surnames.

A name preceded by a civility (« M. Moulin », « Mme Curie ») is never taken for a public
figure: a civility is how letters speak of living people.
"""

from __future__ import annotations

from socle.privacy._firstnames import FIRST_NAMES, SURNAMES


def _split(text: str) -> list[str]:
    return text.split()


def _names(text: str) -> frozenset[str]:
    return frozenset(line.strip().lower() for line in text.strip().splitlines() if line.strip())


# Writers, poets, philosophers (French and world literature).
_WRITERS = """
François Rabelais
Michel de Montaigne
Pierre de Ronsard
Joachim du Bellay
Jean de La Fontaine
Pierre Corneille
Jean Racine
Molière
Jean-Baptiste Poquelin
Blaise Pascal
René Descartes
Madame de Sévigné
Madame de La Fayette
Nicolas Boileau
Charles Perrault
Jean de La Bruyère
François de La Rochefoucauld
Voltaire
Jean-Jacques Rousseau
Denis Diderot
Montesquieu
Jean le Rond d'Alembert
Pierre de Marivaux
Beaumarchais
Pierre-Augustin Caron de Beaumarchais
Choderlos de Laclos
Bernardin de Saint-Pierre
François-René de Chateaubriand
Madame de Staël
Germaine de Staël
Alphonse de Lamartine
Alfred de Vigny
Alfred de Musset
Victor Hugo
Alexandre Dumas
Honoré de Balzac
Stendhal
Gérard de Nerval
George Sand
Prosper Mérimée
Théophile Gautier
Gustave Flaubert
Charles Baudelaire
Jules Verne
Émile Zola
Guy de Maupassant
Alphonse Daudet
Paul Verlaine
Arthur Rimbaud
Stéphane Mallarmé
Jules Vallès
Anatole France
Edmond Rostand
Pierre Loti
Jules Renard
Joris-Karl Huysmans
Paul Claudel
Paul Valéry
André Gide
Marcel Proust
Colette
Sidonie-Gabrielle Colette
Guillaume Apollinaire
Charles Péguy
Alain-Fournier
Blaise Cendrars
Jean Cocteau
Louis Aragon
Elsa Triolet
Paul Éluard
André Breton
Robert Desnos
Jacques Prévert
Raymond Queneau
Jean Giono
Marcel Pagnol
François Mauriac
Georges Bernanos
Antoine de Saint-Exupéry
André Malraux
Albert Camus
Jean-Paul Sartre
Simone de Beauvoir
Marguerite Yourcenar
Marguerite Duras
Nathalie Sarraute
Boris Vian
Louis-Ferdinand Céline
Jean Genet
Eugène Ionesco
Samuel Beckett
Romain Gary
Georges Perec
Georges Simenon
Marcel Aymé
Jean Anouilh
Jean Giraudoux
Henri Michaux
René Char
Francis Ponge
Saint-John Perse
Aimé Césaire
Léopold Sédar Senghor
Frantz Fanon
Édouard Glissant
Jean de Brunhoff
Hergé
René Goscinny
Albert Uderzo
Jules Supervielle
Paul Fort
Tristan Tzara
Max Jacob
Pierre Reverdy
Jean Moréas
Sully Prudhomme
Frédéric Mistral
Émile Verhaeren
Maurice Maeterlinck
Romain Rolland
Roger Martin du Gard
Jules Romains
Henri Barbusse
Roland Dorgelès
Maurice Genevoix
Joseph Kessel
Hervé Bazin
Françoise Sagan
Michel Tournier
Marguerite de Navarre
Christine de Pizan
François Villon
Clément Marot
Louise Labé
Olympe de Gouges
Claude Lévi-Strauss
Michel Foucault
Roland Barthes
Gilles Deleuze
Jacques Derrida
Pierre Bourdieu
Paul Ricœur
Simone Weil
Henri Bergson
Auguste Comte
Alexis de Tocqueville
Ernest Renan
Jules Michelet
Hippolyte Taine
Charles Fourier
Pierre-Joseph Proudhon
William Shakespeare
Miguel de Cervantes
Dante Alighieri
Johann Wolfgang von Goethe
Friedrich Schiller
Heinrich Heine
Léon Tolstoï
Fiodor Dostoïevski
Anton Tchekhov
Alexandre Pouchkine
Nicolas Gogol
Ivan Tourgueniev
Franz Kafka
Thomas Mann
Stefan Zweig
Rainer Maria Rilke
Oscar Wilde
Charles Dickens
Jane Austen
Virginia Woolf
James Joyce
Edgar Allan Poe
Ernest Hemingway
Mark Twain
Herman Melville
Walt Whitman
Federico García Lorca
Pablo Neruda
Jorge Luis Borges
Gabriel García Márquez
Homère
Sophocle
Platon
Aristote
Socrate
Emmanuel Kant
Friedrich Nietzsche
Karl Marx
Sigmund Freud
Hannah Arendt
"""

# Painters, sculptors, architects, photographers, film-makers.
_ARTISTS = """
Léonard de Vinci
Michel-Ange
Raphaël
Sandro Botticelli
Le Caravage
Titien
Albrecht Dürer
Jérôme Bosch
Pieter Brueghel
Rembrandt
Johannes Vermeer
Pierre Paul Rubens
Diego Velázquez
Francisco de Goya
Le Greco
Nicolas Poussin
Claude Lorrain
Georges de La Tour
Antoine Watteau
Jean-Siméon Chardin
François Boucher
Jean-Honoré Fragonard
Élisabeth Vigée Le Brun
Jacques-Louis David
Jean-Auguste-Dominique Ingres
Théodore Géricault
Eugène Delacroix
Camille Corot
Jean-Baptiste Camille Corot
Jean-François Millet
Gustave Courbet
Honoré Daumier
Édouard Manet
Claude Monet
Auguste Renoir
Pierre-Auguste Renoir
Edgar Degas
Camille Pissarro
Alfred Sisley
Berthe Morisot
Mary Cassatt
Gustave Caillebotte
Frédéric Bazille
Paul Cézanne
Paul Gauguin
Vincent van Gogh
Georges Seurat
Paul Signac
Henri de Toulouse-Lautrec
Henri Rousseau
Le Douanier Rousseau
Odilon Redon
Gustave Moreau
Pierre Puvis de Chavannes
Pierre Bonnard
Édouard Vuillard
Maurice Denis
Henri Matisse
André Derain
Maurice de Vlaminck
Raoul Dufy
Georges Braque
Pablo Picasso
Fernand Léger
Juan Gris
Robert Delaunay
Sonia Delaunay
Marc Chagall
Amedeo Modigliani
Chaïm Soutine
Maurice Utrillo
Suzanne Valadon
Marie Laurencin
Kees van Dongen
Tsuguharu Foujita
Marcel Duchamp
Francis Picabia
Jean Arp
Max Ernst
René Magritte
Salvador Dalí
Joan Miró
Yves Tanguy
Wassily Kandinsky
Paul Klee
Piet Mondrian
Kasimir Malevitch
Nicolas de Staël
Jean Dubuffet
Yves Klein
Victor Vasarely
Alexander Calder
Niki de Saint Phalle
Jean Tinguely
Louise Bourgeois
Bernard Buffet
Jackson Pollock
Pierre Soulages
Zao Wou-Ki
Hans Hartung
Jean Fautrier
Georges Mathieu
Serge Poliakoff
Alfred Manessier
Maria Helena Vieira da Silva
Victor Brauner
Jean Hélion
Arman
Christo
François Morellet
Eugène Boudin
Johan Barthold Jongkind
Bernard Palissy
Jean Goujon
Germain Pilon
Rosa Bonheur
Félix Vallotton
Paul Sérusier
Émile Bernard
Maurice Denis
Henri-Edmond Cross
Théo van Rysselberghe
Albert Marquet
Charles Camoin
Henri Manguin
Othon Friesz
Jean Metzinger
Albert Gleizes
Robert Doisneau
Jean Lurçat
Ossip Zadkine
Germaine Richier
Jean Carriès
Émile Gallé
Louis Majorelle
Hector Guimard
René Lalique
Alfons Mucha
Alphonse Mucha
Andy Warhol
Mark Rothko
Frida Kahlo
Diego Rivera
Edvard Munch
Gustav Klimt
Egon Schiele
Auguste Rodin
Camille Claudel
Antoine Bourdelle
Aristide Maillol
Constantin Brâncuși
Alberto Giacometti
César Baldaccini
François Rude
Jean-Baptiste Carpeaux
Frédéric Auguste Bartholdi
Auguste Bartholdi
Gustave Eiffel
Le Corbusier
Eugène Viollet-le-Duc
Jules Hardouin-Mansart
François Mansart
Louis Le Vau
André Le Nôtre
Claude-Nicolas Ledoux
Georges-Eugène Haussmann
Baron Haussmann
Hector Guimard
Auguste Perret
Jean Prouvé
Charlotte Perriand
Robert Mallet-Stevens
Eileen Gray
Nadar
Eugène Atget
Henri Cartier-Bresson
Robert Doisneau
Willy Ronis
Brassaï
Jacques Henri Lartigue
Sabine Weiss
Louis Daguerre
Nicéphore Niépce
Auguste Lumière
Louis Lumière
Georges Méliès
Jean Renoir
Jean Vigo
Marcel Carné
Jacques Tati
François Truffaut
Éric Rohmer
Jacques Demy
Agnès Varda
Jean-Luc Godard
Alain Resnais
Louis de Funès
Jean Gabin
Bourvil
Fernandel
Simone Signoret
Yves Montand
Jeanne Moreau
Romy Schneider
Sarah Bernhardt
Charlie Chaplin
Alfred Hitchcock
Jean Marais
Gérard Philipe
"""

# Composers, musicians, singers, dancers.
_MUSICIANS = """
Jean-Baptiste Lully
Marc-Antoine Charpentier
François Couperin
Jean-Philippe Rameau
Christoph Willibald Gluck
Jean-Sébastien Bach
Johann Sebastian Bach
Georg Friedrich Haendel
Antonio Vivaldi
Joseph Haydn
Wolfgang Amadeus Mozart
Ludwig van Beethoven
Franz Schubert
Robert Schumann
Clara Schumann
Felix Mendelssohn
Frédéric Chopin
Franz Liszt
Hector Berlioz
Richard Wagner
Giuseppe Verdi
Giacomo Puccini
Gioachino Rossini
Johannes Brahms
Piotr Ilitch Tchaïkovski
Modeste Moussorgski
Nikolaï Rimski-Korsakov
Antonín Dvořák
Bedřich Smetana
Edvard Grieg
Gustav Mahler
Richard Strauss
Charles Gounod
Georges Bizet
Jules Massenet
Camille Saint-Saëns
Gabriel Fauré
César Franck
Emmanuel Chabrier
Léo Delibes
Jacques Offenbach
Vincent d'Indy
Ernest Chausson
Paul Dukas
Claude Debussy
Maurice Ravel
Erik Satie
Albert Roussel
Darius Milhaud
Arthur Honegger
Francis Poulenc
Germaine Tailleferre
Lili Boulanger
Nadia Boulanger
Olivier Messiaen
Henri Dutilleux
Pierre Boulez
Pierre Schaeffer
Igor Stravinsky
Sergueï Prokofiev
Dmitri Chostakovitch
Sergueï Rachmaninov
Béla Bartók
Manuel de Falla
Isaac Albéniz
Heitor Villa-Lobos
George Gershwin
Édith Piaf
Charles Trenet
Georges Brassens
Jacques Brel
Léo Ferré
Barbara
Jean Ferrat
Boris Vian
Serge Gainsbourg
Charles Aznavour
Gilbert Bécaud
Dalida
Claude François
Joséphine Baker
Yves Montand
Juliette Gréco
Mistinguett
Django Reinhardt
Stéphane Grappelli
Sidney Bechet
Louis Armstrong
Duke Ellington
Miles Davis
Billie Holiday
Ella Fitzgerald
Maria Callas
Elvis Presley
John Lennon
Bob Marley
Michael Jackson
Johnny Hallyday
Alain Bashung
Daniel Balavoine
Mouloudji
Bobby Lapointe
Anne Sylvestre
Henri Salvador
Maurice Béjart
Vaslav Nijinski
Rudolf Noureev
Isadora Duncan
Pina Bausch
"""

# Scientists, physicians, inventors, explorers.
_SCIENTISTS = """
Louis Pasteur
Marie Curie
Pierre Curie
Irène Joliot-Curie
Frédéric Joliot-Curie
Antoine Lavoisier
Blaise Pascal
Pierre de Fermat
Joseph-Louis Lagrange
Pierre-Simon de Laplace
Joseph Fourier
Évariste Galois
Augustin Louis Cauchy
Henri Poincaré
Sophie Germain
Émilie du Châtelet
André-Marie Ampère
Sadi Carnot
Nicolas Léonard Sadi Carnot
Léon Foucault
Hippolyte Fizeau
Henri Becquerel
Paul Langevin
Louis de Broglie
Jean Perrin
Georges Charpak
Alfred Kastler
Claude Bernard
Xavier Bichat
René Laennec
Ambroise Paré
Jean-Martin Charcot
Alexandre Yersin
Albert Calmette
Charles Nicolle
Émile Roux
Alexander Fleming
Jean-Baptiste de Lamarck
Georges Cuvier
Georges-Louis Leclerc de Buffon
Buffon
Charles Darwin
Gregor Mendel
Jean-Henri Fabre
Théodore Monod
Paul-Émile Victor
Jacques-Yves Cousteau
Haroun Tazieff
Louis Braille
Valentin Haüy
Denis Papin
Joseph-Marie Jacquard
Nicolas Appert
Louis Blériot
Roland Garros
Clément Ader
Jean Mermoz
Hélène Boucher
Jacques Cartier
Samuel de Champlain
Jean-François de La Pérouse
Louis-Antoine de Bougainville
Jules Dumont d'Urville
René Caillié
Pierre Savorgnan de Brazza
Christophe Colomb
Vasco de Gama
Fernand de Magellan
Marco Polo
Galilée
Galileo Galilei
Isaac Newton
Albert Einstein
Nicolas Copernic
Johannes Kepler
Urbain Le Verrier
Camille Flammarion
Charles Messier
Dmitri Mendeleïev
Nikola Tesla
Thomas Edison
Alfred Nobel
Hubert Reeves
Paul Broca
Philippe Pinel
Jean Rostand
Alan Turing
Ada Lovelace
"""

# Historical and political figures, resistance fighters, social reformers, saints.
_HISTORICAL = """
Vercingétorix
Clovis
Charlemagne
Hugues Capet
Saint Louis
Louis IX
Philippe Auguste
Philippe le Bel
Aliénor d'Aquitaine
Blanche de Castille
Bertrand du Guesclin
Jeanne d'Arc
Jacques Cœur
Louis XI
Anne de Bretagne
François Ier
Henri IV
Catherine de Médicis
Marie de Médicis
Sully
Richelieu
Cardinal de Richelieu
Mazarin
Louis XIII
Louis XIV
Louis XV
Louis XVI
Marie-Antoinette
Jean-Baptiste Colbert
Vauban
Sébastien Le Prestre de Vauban
Turenne
Madame de Pompadour
La Fayette
Marquis de La Fayette
Lafayette
Mirabeau
Georges Danton
Maximilien de Robespierre
Jean-Paul Marat
Camille Desmoulins
Condorcet
Nicolas de Condorcet
Abbé Grégoire
Lazare Carnot
Charlotte Corday
Napoléon Bonaparte
Napoléon Ier
Joséphine de Beauharnais
Napoléon III
Louis-Philippe
Charles X
Talleyrand
Joachim Murat
Michel Ney
Maréchal Ney
Toussaint Louverture
Louis Delgrès
Solitude
Victor Schœlcher
Victor Schoelcher
Abd el-Kader
Léon Gambetta
Jules Ferry
Jean Jaurès
Adolphe Thiers
Louise Michel
Georges Clemenceau
Raymond Poincaré
Aristide Briand
Léon Blum
Jean Zay
Pierre Mendès France
Charles de Gaulle
Général de Gaulle
Philippe Leclerc de Hauteclocque
Maréchal Leclerc
Maréchal Foch
Ferdinand Foch
Maréchal Joffre
Joseph Joffre
Maréchal Lyautey
Hubert Lyautey
Jean Moulin
Pierre Brossolette
Lucie Aubrac
Raymond Aubrac
Danielle Casanova
Berty Albrecht
Geneviève de Gaulle-Anthonioz
Germaine Tillion
Missak Manouchian
Guy Môquet
Marc Bloch
Honoré d'Estienne d'Orves
Jean Monnet
Robert Schuman
Simone Veil
Georges Pompidou
Valéry Giscard d'Estaing
François Mitterrand
Jacques Chirac
Vincent Auriol
René Coty
Gaston Defferre
Pierre Mauroy
Michel Rocard
Jacques Chaban-Delmas
Édouard Herriot
Abbé Pierre
Sœur Emmanuelle
Coluche
Martin Luther King
Nelson Mandela
Gandhi
Mahatma Gandhi
Rosa Parks
Abraham Lincoln
George Washington
Winston Churchill
Jules César
Jean Macé
Ferdinand Buisson
Paul Bert
Jean Jaures
Pierre de Coubertin
Henri Dunant
Vincent de Paul
Saint Vincent de Paul
Bernadette Soubirous
Thérèse de Lisieux
Jean-Baptiste de La Salle
Hildegarde de Bingen
Élisabeth Ire
Olympe de Gouges
Flora Tristan
Hubertine Auclert
Marguerite Yourcenar
Joséphine Baker
Gisèle Halimi
Louise Weiss
Marie Marvingt
Maryse Bastié
"""

FIGURES: frozenset[str] = (
    _names(_WRITERS) | _names(_ARTISTS) | _names(_MUSICIANS) | _names(_SCIENTISTS) | _names(_HISTORICAL)
)

# Given names and surnames common in France: never enough alone to say « a public figure ».
_COMMON_NAMES = FIRST_NAMES | SURNAMES
# Known by their surname alone in cultural texts, and not common French given names or surnames.
SURNAME_ONLY: frozenset[str] = (
    frozenset(
        w.replace("_", " ")
        for w in _split(
            """molière voltaire rabelais montaigne ronsard racine corneille pascal descartes diderot montesquieu marivaux
    beaumarchais chateaubriand lamartine musset hugo balzac stendhal nerval flaubert baudelaire zola maupassant
    daudet verlaine rimbaud mallarmé apollinaire proust cocteau aragon éluard prévert giono pagnol mauriac camus
    sartre yourcenar duras céline ionesco beckett perec simenon senghor césaire shakespeare cervantès goethe
    tolstoï dostoïevski kafka
    botticelli caravage rembrandt vermeer rubens velázquez goya poussin watteau chardin fragonard ingres géricault
    delacroix corot courbet daumier manet monet renoir degas pissarro sisley morisot caillebotte cézanne gauguin
    seurat signac toulouse-lautrec soulages boudin palissy matisse derain vlaminck braque picasso chagall modigliani soutine utrillo
    kandinsky mondrian magritte dalí miró klimt rodin bourdelle maillol giacometti brancusi eiffel haussmann
    doisneau truffaut godard varda
    lully rameau couperin bach haendel vivaldi haydn mozart beethoven schubert schumann mendelssohn chopin liszt
    berlioz wagner verdi puccini rossini brahms tchaïkovski moussorgski dvořák grieg mahler gounod bizet massenet
    saint-saëns fauré offenbach debussy ravel satie milhaud honegger poulenc messiaen dutilleux boulez stravinsky
    prokofiev rachmaninov bartók gershwin piaf trenet brassens brel gainsbourg aznavour
    pasteur lavoisier laplace ampère becquerel lamarck cuvier darwin einstein newton copernic galilée kepler
    vercingétorix charlemagne clovis richelieu mazarin colbert vauban robespierre danton bonaparte napoléon
    talleyrand gambetta jaurès clemenceau de_gaulle mitterrand pompidou"""
        )
    )
    - _COMMON_NAMES
)

__all__ = ["FIGURES", "SURNAME_ONLY"]
