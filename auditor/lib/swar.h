/*
 * swar.h: looking at eight bytes a step in a 64-bit word (SIMD within a
 * register), for the scanners of hot text: the keyword splitter and the
 * escapers.  Each test sets the high bit of the bytes it flags; the
 * lowest flagged byte is always exact (a borrow or a carry only runs
 * upwards from a flagged byte, so only bytes above one can be flagged
 * wrongly), which is all a scanner needs: swar_first() of the result.
 */
#ifndef ISOAUDIT_SWAR_H
#define ISOAUDIT_SWAR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The word tricks find "the first" byte in memory order on these only. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR_OK		1
#else
#define SWAR_OK		0
#endif

#define SWAR_ONES	0x0101010101010101ULL
#define SWAR_HIGHS	0x8080808080808080ULL

static inline uint64_t
swar_load(const void *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof w);
	return w;
}

/* Bytes equal to c. */
static inline uint64_t
swar_eq(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (SWAR_ONES * c);

	return (x - SWAR_ONES) & ~x & SWAR_HIGHS;
}

/* Bytes below n (n <= 0x80). */
static inline uint64_t
swar_lt(uint64_t w, unsigned char n)
{
	return (w - SWAR_ONES * n) & ~w & SWAR_HIGHS;
}

/* Bytes above n (n < 0x80). */
static inline uint64_t
swar_gt(uint64_t w, unsigned char n)
{
	return ((w + SWAR_ONES * (0x7f - n)) | w) & SWAR_HIGHS;
}

/* The index of the lowest flagged byte of a non-zero result. */
static inline size_t
swar_first(uint64_t m)
{
	return (size_t)__builtin_ctzll(m) / 8;
}

#endif
