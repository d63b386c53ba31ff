"""Why a personnummer is invalid, in Swedish: shared by ``number.parse`` and
``series.parse_series`` so the two give the same reason for every input."""

SAKNAS = "saknas"
FEL_FORMAT = "fel format (ska vara ÅÅMMDD-NNNN eller ÅÅÅÅMMDD-NNNN)"
FEL_DATUM = "ogiltigt födelsedatum"
FEL_FRAMTID = "födelsedatumet ligger efter referensdatumet"
FEL_SERIE = "födelsenumret 000 används inte"
FEL_KONTROLL = "fel kontrollsiffra"
