/* recommender_trend.h -- is a series of daily values growing steadily?
 *
 * The recommender fits ln(value) against time over whole days (daily CPU
 * means, daily memory peaks): daily and weekly cycles disappear in daily
 * aggregates or show up as a poor fit, so only steady growth passes. A trend
 * is reported when all hold: at least REC_TREND_MIN_DAYS days; slope at least
 * REC_TREND_MIN_SLOPE per day; R^2 at least REC_TREND_MIN_R2; the first,
 * the middle and the last n/3 + 1 days (at least 3) each grow at no less than
 * REC_TREND_SEG_SHARE of the overall slope (a single step up, as a rollout or
 * a weekend ending makes, has a flat segment); and the growth over the span
 * is at least 5 %.
 * Falling series are never trends: old data decays anyway.
 */
#ifndef SNUG_RECOMMENDER_TREND_H
#define SNUG_RECOMMENDER_TREND_H

#include <stdbool.h>
#include <stddef.h>

#define REC_TREND_MIN_DAYS   4
#define REC_TREND_MIN_SLOPE  0.005 /* ln units per day: 0.5 %/day */
#define REC_TREND_MIN_R2     0.75
#define REC_TREND_SEG_SHARE  0.3
#define REC_TREND_MAX_FACTOR 1.5 /* a projection never adds more than 50 % */

typedef struct rec_trend {
    bool found;
    double slope; /* d ln(value) / d day */
    double r2;
    size_t days;
} rec_trend;

/* Fit n points (t in unix seconds, v > 0; others skipped). Never fails. */
void recommender_trend_fit(const double *t, const double *v, size_t n, rec_trend *out);

/* The growth factor from time `from` to time `to` (>= 1, at most
 * REC_TREND_MAX_FACTOR); 1 when no trend was found or to <= from. */
double recommender_trend_factor(const rec_trend *tr, double from, double to);

#endif
