"""Writes of the cases app, one module per sub-domain: lifecycle (open, exit, inactive),
caseloads (reassignment, the rota), contacts, assessments, hold (the prosecution hold),
deflection, plans. Every function locks what it changes, checks the optimistic-lock version
it was given, and writes its audit event in the same transaction. Reads are in
diversion.cases.selectors.
"""
