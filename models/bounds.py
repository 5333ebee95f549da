"""Upper bounds of the money and multiplier fields of a scenario and its mechanics.

A field bounded only below would accept 1e308, and the run then reports infinities.
Each bound is far beyond any real business yet keeps every sum of a run finite (a
billion customers x 100 years of days x the largest order is about 1e24). Every field
uses one of these in its own `Field(le=...)`, so the limit is stated once, shows in
`snowball schema` as the field's maximum, and is named in the message of a value above it.
"""

MAX_MONEY = 1e9         # currency per unit: an order, a contact, a response, an item, a point
MAX_BUDGET = 1e12       # currency per year, per event or in total: fixed costs, spend tiers
MAX_MULTIPLIER = 1000.0  # a factor on a rate, a hazard, a value or a lift (a lead's first
                        # order may be a car at 150 times a service visit)
MAX_PER_YEAR = 3650.0   # events per customer per year (ten a day)
