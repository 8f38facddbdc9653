# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.tests import tagged

from .common import KpiCase


@tagged("post_install", "-at_install")
class TestFeedbackKpis(KpiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].create({"name": "KPI Respondent"})

    def _answers(self, kind, scale, scores, day="2026-03-10"):
        self.env["crm.kpi.feedback"].create(
            [
                {
                    "partner_id": self.partner.id,
                    "date": day,
                    "kind": kind,
                    "scale": scale,
                    "score": score,
                    "company_id": self.company.id,
                }
                for score in scores
            ]
        )

    def test_nps(self):
        # 0–10: promoters 10, 9, 9 (3); passives 8, 7 (2); detractors 6, 0 (2); 7 responses
        self._answers("nps", "0_10", [10, 9, 9, 8, 7, 6, 0])
        # 1–5: promoter 5, detractor 2, passive 3
        self._answers("nps", "1_5", [5, 2, 3])
        # April answer does not count
        self._answers("nps", "0_10", [0], day="2026-04-01")
        # (4 promoters − 3 detractors) / 10 responses × 100 = 10
        snapshots = self.compute("nps", "month", date(2026, 3, 1))
        self.assertKpi(self.row(snapshots), 1, 10, 10.0)

    def test_nps_negative_and_empty(self):
        self._answers("nps", "0_10", [1, 2, 9])
        # (1 − 2) / 3 × 100 = −33.33
        self.assertKpi(self.row(self.compute("nps", "month", date(2026, 3, 1))), -1, 3, -33.3333)
        self.assertKpi(self.row(self.compute("nps", "month", date(2026, 5, 1))), 0, 0, None)

    def test_ces(self):
        self._answers("ces", "1_7", [7, 6, 5, 2])
        # (7 + 6 + 5 + 2) / 4 = 5.0
        self.assertKpi(self.row(self.compute("ces", "month", date(2026, 3, 1))), 20, 4, 5.0)
        # answers of 5 or more: 7, 6, 5 → 3 / 4 × 100 = 75 %
        self.assertKpi(
            self.row(self.compute("ces_easy_share", "month", date(2026, 3, 1))), 3, 4, 75.0
        )


@tagged("post_install", "-at_install")
class TestTrafficKpi(KpiCase):
    def test_traffic_to_lead(self):
        web = self.env["utm.source"].create({"name": "KPI Organic"})
        self.env["crm.kpi.traffic"].create(
            [
                {
                    "date": "2026-03-01",
                    "visitors": 150,
                    "source_id": web.id,
                    "company_id": self.company.id,
                },
                {"date": "2026-03-02", "visitors": 50, "company_id": self.company.id},
            ]
        )
        self.env["crm.lead"].create(
            [
                {
                    "name": f"T{i}",
                    "company_id": self.company.id,
                    "source_id": web.id if i < 3 else False,
                }
                for i in range(4)
            ]
        )
        # the leads are created now (November 2026): date them in March
        leads = self.env["crm.lead"].search(
            [("name", "in", ["T0", "T1", "T2", "T3"]), ("company_id", "=", self.company.id)]
        )
        self._set_dates(leads, create_date="2026-03-05 10:00:00")
        snapshots = self.compute("traffic_to_lead", "month", date(2026, 3, 1))
        # 4 leads / 200 visitors × 100 = 2 %; organic: 3 / 150 = 2 %
        self.assertKpi(self.row(snapshots), 4, 200, 2.0)
        self.assertKpi(self.row(snapshots, "source", source_id=web), 3, 150, 2.0)
        # no visitors recorded: no value
        self.assertKpi(
            self.row(self.compute("traffic_to_lead", "month", date(2026, 1, 1))), 0, 0, None
        )
