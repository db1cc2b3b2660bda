"""The scoring core every benchmark family shares: the tie rule and AP / RR / nDCG / recall (:mod:`.metrics`),
exact ranks of relevant candidates per language and pooled (:mod:`.ranking`), language bias (:mod:`.bias`)
and the scorer interface (:mod:`.scorer`)."""
