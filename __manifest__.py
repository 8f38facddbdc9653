{
    "name": "CRM KPIs",
    "summary": "Acquisition cost, lifetime value, churn, retention, win rate and "
    "other CRM KPIs per period, with SMART goals and XLSX exports",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/crm-kpi/crm_kpi",
    "author": "crm_kpi contributors",
    "license": "AGPL-3",
    "depends": [
        "crm",
        "sale_management",
        "subscription_oca",
        "report_xlsx",
    ],
    "external_dependencies": {"python": ["xlsxwriter"]},
    "data": [
        "security/crm_kpi_groups.xml",
        "security/ir.model.access.csv",
        "security/crm_kpi_security.xml",
        "data/crm_kpi_definition_data.xml",
        "views/crm_kpi_definition_views.xml",
        "views/crm_kpi_cost_views.xml",
        "views/crm_kpi_traffic_views.xml",
        "views/crm_kpi_menus.xml",
    ],
    "installable": True,
    "application": False,
}
