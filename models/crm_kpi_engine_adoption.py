# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""CRM adoption and data health: login frequency, records created, data quality."""

from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import metrics


class CrmKpiEngineAdoption(models.AbstractModel):
    _inherit = "crm.kpi.engine"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _run_tables(self, window, periods, codes):
        tables = super()._run_tables(window, periods, codes)
        if "data_quality" in codes and len(periods) > 1:
            # one scan for all periods; for a single period its own query
            # (a plain count per email) is cheaper than the per-day table
            tables.append(
                {"kind": "health", "query": self._data_health_days_sql, "indexes": ("day",)}
            )
        return tables

    @api.model
    def _kpi_login_frequency(self, definition, window):
        grouped = self._grouped(
            definition,
            {"user": SQL("log.create_uid")},
            {
                "logins": SQL("COUNT(*)"),
                "users": SQL("COUNT(DISTINCT log.create_uid)"),
            },
            SQL(
                """
                FROM res_users_log log
                JOIN res_users u ON u.id = log.create_uid
                WHERE NOT u.share AND u.company_id = %s
                  AND log.create_date >= %s AND log.create_date < %s
                """,
                window.company.id,
                window.utc_from,
                window.utc_to,
            ),
        )
        return self._rows(
            grouped,
            lambda r: metrics.login_frequency(logins=r["logins"], active_users=r["users"]),
        )

    @api.model
    def _records_created_sql(self, window):
        """SQL of (user_id) rows, one per lead, contact, sale order or
        activity created in the period by an internal user of the company.
        Records without a company (leads, shared contacts, activities) count
        for the creating user's main company."""

        def created(alias):
            column = SQL.identifier(alias, "create_date")
            return SQL("%s >= %s AND %s < %s", column, window.utc_from, column, window.utc_to)

        company = window.company.id
        return SQL(
            """
            SELECT l.create_uid AS user_id FROM crm_lead l JOIN res_users u ON u.id = l.create_uid
             WHERE COALESCE(l.company_id, u.company_id) = %(company)s AND %(lead)s
            UNION ALL
            SELECT r.create_uid FROM res_partner r JOIN res_users u ON u.id = r.create_uid
             WHERE COALESCE(r.company_id, u.company_id) = %(company)s AND %(partner)s
            UNION ALL
            SELECT o.create_uid FROM sale_order o WHERE o.company_id = %(company)s AND %(order)s
            UNION ALL
            SELECT a.create_uid FROM mail_activity a JOIN res_users u ON u.id = a.create_uid
             WHERE u.company_id = %(company)s AND %(activity)s
            """,
            company=company,
            lead=created("l"),
            partner=created("r"),
            order=created("o"),
            activity=created("a"),
        )

    @api.model
    def _kpi_records_created(self, definition, window):
        grouped = self._grouped(
            definition,
            {"user": SQL("rec.user_id")},
            {"records": SQL("COUNT(*)")},
            SQL(
                "FROM (%s) rec JOIN res_users u ON u.id = rec.user_id WHERE NOT u.share",
                self._records_created_sql(window),
            ),
        )
        return self._rows(grouped, lambda r: metrics.records_created(r["records"]))

    @api.model
    def _kpi_records_created_records(self, definition, window, row=None):
        """The leads among the records created (the other kinds have no
        list of their own here): the company's, and those without a company
        created by a user of the company; a row is the creator's."""
        company = window.company.id
        return "crm.lead", Domain.AND(
            [
                Domain("company_id", "=", company)
                | (
                    Domain("company_id", "=", False) & Domain("create_uid.company_id", "=", company)
                ),
                Domain("create_date", ">=", window.utc_from),
                Domain("create_date", "<", window.utc_to),
                self._row_domain(row, {"user": "create_uid"}),
            ]
        )

    @api.model
    def _data_health_records_sql(self, window):
        """SQL of the records data health looks at: active leads and CRM
        contacts (not users' or companies' own partners) of the company, with
        ``kind``, ``created`` (creation time, UTC), ``bare`` (neither email
        nor phone) and ``email`` (normalized)."""
        return SQL(
            """
            SELECT 'lead' AS kind, l.create_date AS created, l.email_normalized AS email,
                   (COALESCE(l.email_from, '') = '' AND COALESCE(l.phone, '') = '') AS bare
              FROM crm_lead l
             WHERE l.active AND %(lead_company)s
            UNION ALL
            SELECT 'contact', p.create_date, p.email_normalized,
                   (COALESCE(p.email, '') = '' AND COALESCE(p.phone, '') = '')
              FROM res_partner p
             WHERE p.active AND p.type = 'contact' AND %(partner_company)s
               AND NOT EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = p.id)
               AND NOT EXISTS (SELECT 1 FROM res_company c WHERE c.partner_id = p.id)
            """,
            lead_company=self._company_clause(SQL("l.company_id"), window),
            partner_company=self._company_clause(SQL("p.company_id"), window),
        )

    @api.model
    def _data_health_days_sql(self, window):
        """SQL of one row per day: ``records`` created that day and
        ``flagged``, the records that turn flagged that day. A record with
        neither email nor phone is flagged from its creation; a record
        sharing its email with another of its kind from the day there are
        two of them (its creation, or the creation of the second one).
        Summing the days before a period's end gives data health at that
        end, for every period of a run from one scan."""
        return SQL(
            """
            WITH recs AS (SELECT r.*, %(day)s AS day FROM (%(records)s) r),
            ranked AS (
                SELECT day, bare, email,
                       NTH_VALUE(day, 2) OVER (
                           PARTITION BY kind, email ORDER BY day
                           ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
                       ) AS second_day
                  FROM recs
            )
            SELECT day, SUM(records)::bigint AS records, SUM(flagged)::bigint AS flagged FROM (
                SELECT day, 1 AS records, 0 AS flagged FROM ranked
                UNION ALL
                SELECT CASE WHEN bare THEN day ELSE GREATEST(day, second_day) END, 0, 1
                  FROM ranked
                 WHERE bare OR (email IS NOT NULL AND second_day IS NOT NULL)
            ) days GROUP BY day
            """,
            records=self._data_health_records_sql(window),
            day=self._local_date(SQL("r.created"), window),
        )

    @api.model
    def _kpi_data_quality(self, definition, window):
        """Active leads and contacts existing at the end of the period that
        have neither email nor phone, or share their email with another
        active record of the same kind (a duplicate). Users' and companies'
        own partners are not CRM contacts and are left out."""
        measures = {
            "flagged": SQL("SUM(rec.flagged)::bigint"),
            "records": SQL("SUM(rec.records)::bigint"),
        }
        if "health" in window.run:
            from_where = SQL(
                "FROM %s rec WHERE rec.day < %s",
                SQL.identifier(window.run["health"]),
                window.date_to,
            )
        else:
            from_where = SQL(
                """
                FROM (
                    -- one row per kind and email (NULL: records without
                    -- email) with its records and those with neither email
                    -- nor phone; an email of several records flags them all
                    SELECT CASE WHEN g.email IS NOT NULL AND g.records > 1
                                THEN g.records ELSE g.bare END AS flagged,
                           g.records
                      FROM (
                        SELECT r.kind, r.email, COUNT(*) AS records,
                               COUNT(*) FILTER (WHERE r.bare) AS bare
                          FROM (%(records)s) r
                         WHERE r.created < %(until)s
                         GROUP BY r.kind, r.email
                      ) g
                ) rec
                """,
                records=self._data_health_records_sql(window),
                until=window.utc_to,
            )
        grouped = self._grouped(definition, {}, measures, from_where)
        return self._rows(
            grouped, lambda r: metrics.data_quality(flagged=r["flagged"], records=r["records"])
        )
