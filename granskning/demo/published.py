"""The published figures the demo reproduces: the districts and tables of SEED-004.

Kept apart from the example export (:mod:`granskning.demo.exempel`) and the simulated answers
(:mod:`granskning.demo.answers`), which both build on them.
"""

DISTRICTS = (
    "Bromma",
    "Enskede-Årsta-Vantör",
    "Farsta",
    "Hägersten-Älvsjö",
    "Hässelby-Vällingby",
    "Järva",
    "Kungsholmen",
    "Norra innerstaden",
    "Skarpnäck",
    "Skärholmen",
    "Södermalm",
)

# Table 1 of SEED-004 (DOMAIN.md §2.1), one tuple per district in DISTRICTS order.
TABLE_F5 = {
    "Fysiskt möte": (7, 10, 11, 6, 10, 15, 6, 9, 12, 24, 20),
    "Endast telefon": (16, 15, 7, 16, 15, 9, 19, 17, 13, 2, 6),
    "Endast brev": (3, 1, 4, 4, 1, 2, 1, 0, 1, 0, 0),
    "Ingen kontakt": (0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0),
}
# Table 2 of SEED-004 (DOMAIN.md §2.2).
TABLE_F7 = {
    "Ja": (4, 3, 4, 5, 5, 8, 2, 4, 2, 10, 5),
    "Nej": (15, 16, 19, 17, 15, 12, 15, 17, 15, 9, 6),
    "Barnet vill inte": (0, 0, 0, 0, 0, 0, 4, 0, 0, 1, 2),
    "Barnet kan inte": (3, 5, 2, 4, 5, 5, 3, 4, 6, 6, 6),
    "VH samtycker inte": (4, 2, 1, 0, 1, 1, 2, 1, 3, 0, 7),
}
