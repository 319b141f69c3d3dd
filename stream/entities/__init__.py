"""What a news record is about, beyond its explicit fields: companies, events and macro topics.

sectors.py    the one sector taxonomy (GICS's eleven) and the mapping of free-text industries
universe.py   the companies: pytickersymbols' index members plus the user's watchlist, with
              aliases derived from their names (legal suffixes stripped, short names)
matcher.py    one compiled matcher over the universe: cashtags, exchange-prefixed and
              parenthesised tickers, names; rules for names that are common words
events.py     event types (earnings, guidance, ratings, M&A, ...) and macro subjects
              (rates, inflation, countries, commodities) from compiled patterns
relevance.py  how much a record is about each subject, in [0, 1]
"""
