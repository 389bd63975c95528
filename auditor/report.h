/* report.h: what `report` shares with `check`. */
#ifndef ISOAUDIT_REPORT_H
#define ISOAUDIT_REPORT_H

struct buf;
struct store_finding_row;

/* Appends a finding as the JSON object of SPEC.md's report. */
void	report_json_finding(struct buf *, const struct store_finding_row *);

#endif
