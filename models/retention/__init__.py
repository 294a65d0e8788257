"""What the retention team receives: driver families, reasons, the playbook, tiers, value at risk, the report, i18n."""
