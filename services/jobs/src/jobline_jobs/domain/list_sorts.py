"""The orders the Jobs list can be read in. Each sorts by one key, then by job number
(unique in a tenant), so equal keys still have one order and a cursor one place."""

from enum import StrEnum


class Sort(StrEnum):
    SCHEDULED = "scheduled"  # the day's order: scheduled start
    NUMBER = "number"
    CUSTOMER = "customer"  # the customer's name
    BALANCE = "balance"  # what the job still has to bill and collect


class Order(StrEnum):
    ASC = "asc"
    DESC = "desc"
