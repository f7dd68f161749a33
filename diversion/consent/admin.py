# Consents and disclosures are not in the admin: the case team manages consents at
# /consent/person/<id>/ and reads the accounting of disclosures there (docs/security.md,
# "The admin"). Both are append-only records the program writes.
