"""Demo data for civicdesk: a fictional county (青溪县) with its centres, departments, staff,
categories and as many realistic cases as asked for (`manage.py seed_demo`).

Everything here is invented: names, companies, addresses and phone numbers belong to nobody.
"""
