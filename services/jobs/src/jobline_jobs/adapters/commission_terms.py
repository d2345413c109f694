"""What the commission ledger asks of the directory (issue 16): whether a technician is
known, and the commission terms in force: the tenant's split rule (read with the tenant,
see ``PostgresDirectory.look_up_tenants``) and technicians' rates, read once per
transaction (a batch reads its completions' crews in one statement, ``look_up_rates``)
and kept current when a technician upsert in the same transaction changes a rate."""

from collections.abc import Iterable
from decimal import Decimal
from uuid import UUID

from jobline_infra.postgres import Connection
from jobline_jobs.adapters import rows
from jobline_jobs.adapters.row_writer import RowWriter
from jobline_jobs.domain.commission_split import SplitRule
from jobline_jobs.domain.commissions import CommissionTerms


class CommissionTermsLookups:
    """Mixed into ``PostgresDirectory``, whose state these are."""

    _conn: Connection
    _writer: RowWriter
    _split_rules: dict[str, SplitRule]
    _rates: dict[tuple[str, UUID], Decimal]

    async def look_up_tenants(self, tenant_ids: set[str]) -> None:
        raise NotImplementedError

    async def technician_exists(self, tenant_id: str, technician_id: UUID) -> bool:
        # A placeholder written earlier in the batch counts (it is not sent yet).
        pending = self._writer.pending(rows.TechnicianPlaceholder)
        if any(p.tenant_id == tenant_id and p.technician_id == technician_id for p in pending):
            return True
        found = await self._conn.fetchval(
            "SELECT 1 FROM jobs.technicians WHERE tenant_id = $1 AND technician_id = $2",
            tenant_id,
            technician_id,
        )
        return found is not None

    async def look_up_rates(self, keys: Iterable[tuple[str, UUID]]) -> None:
        """The commission rates of many (tenant, technician) in one statement."""
        wanted = sorted(set(keys) - self._rates.keys())
        if not wanted:
            return
        found = await self._conn.fetch(
            """SELECT tenant_id, technician_id, commission_rate FROM jobs.technicians
                WHERE (tenant_id, technician_id)
                   IN (SELECT * FROM unnest($1::text[], $2::uuid[]))""",
            [t for t, _ in wanted],
            [i for _, i in wanted],
        )
        self._rates.update(dict.fromkeys(wanted, Decimal(0)))
        self._rates.update(
            ((r["tenant_id"], r["technician_id"]), r["commission_rate"] or Decimal(0))
            for r in found
        )

    async def commission_terms(
        self, tenant_id: str, technician_ids: Iterable[UUID]
    ) -> CommissionTerms:
        technicians = list(technician_ids)
        await self.look_up_rates((tenant_id, t) for t in technicians)
        if tenant_id not in self._split_rules:
            await self.look_up_tenants({tenant_id})
        rates = {t: self._rates[(tenant_id, t)] for t in technicians}
        return CommissionTerms(self._split_rules[tenant_id], rates)
