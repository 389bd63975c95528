/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * swar.h: looking at many bytes a step, for the scanners of hot text: the
 * keyword splitter and the escapers.  Eight bytes a step in a 64-bit word
 * (SIMD within a register) for the escapers and the general splitter;
 * 64 bytes into bitmaps of byte classes (SSE2 where there is one, else a
 * byte loop) for the splitter's fast path.  Each word test sets the high
 * bit of the bytes it flags; the lowest flagged byte is always exact (a
 * borrow or a carry only runs upwards from a flagged byte, so only bytes
 * above one can be flagged wrongly), which is all a scanner needs:
 * swar_first() of the result.  The bitmaps of swar_classify are exact.
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

/*
 * The keyword scanner's byte classes, 64 bytes at a time (reply.c's fast
 * path): bitmaps, bit i for byte i of the block.
 */
struct swar_classes {
	uint64_t	 space;		/* ' ': between words */
	uint64_t	 quote;		/* '"': a quoted value's ends */
	unsigned	 commas;	/* how many ',' (a list's separators) */
	uint64_t	 esc;		/* not 0 when a byte of the block is one
					   a JSON string escapes or checks
					   (below 0x20, 0x7f and above,
					   backslash); which, it does not say */
};

#if defined(__SSE2__)
#include <emmintrin.h>

/* The classes of p[0..64): 16 bytes a compare, a bitmap a movemask. */
static inline void
swar_classify(const unsigned char *p, struct swar_classes *c)
{
	const __m128i sp = _mm_set1_epi8(' '), qt = _mm_set1_epi8('"'),
	    cm = _mm_set1_epi8(','), bs = _mm_set1_epi8('\\'), del = _mm_set1_epi8(0x7f),
	    lo = _mm_set1_epi8(0x20);
	__m128i esc = _mm_setzero_si128(), ncomma = _mm_setzero_si128();
	int k;

	c->space = c->quote = 0;
	for (k = 0; k < 4; k++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)
		    (p + 16 * k));
		unsigned sh = 16 * (unsigned)k;

		c->space |= (uint64_t)(unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(x, sp)) << sh;
		c->quote |= (uint64_t)(unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(x, qt)) << sh;
		/* A match is -1: subtracted, each byte counts its own. */
		ncomma = _mm_sub_epi8(ncomma, _mm_cmpeq_epi8(x, cm));
		/* Signed bytes: below 0x20 takes 0x80..0xff too. */
		esc = _mm_or_si128(esc, _mm_or_si128(_mm_cmplt_epi8(x, lo),
		    _mm_or_si128(_mm_cmpeq_epi8(x, del),
		    _mm_cmpeq_epi8(x, bs))));
	}
	c->esc = (uint64_t)(unsigned)_mm_movemask_epi8(esc);
	/* The 16 byte counts (at most 4 each) summed into two halves. */
	ncomma = _mm_sad_epu8(ncomma, _mm_setzero_si128());
	c->commas = (unsigned)_mm_cvtsi128_si32(ncomma) +
	    (unsigned)_mm_cvtsi128_si32(_mm_srli_si128(ncomma, 8));
}
#else
/* The classes of p[0..64), a byte at a time. */
static inline void
swar_classify(const unsigned char *p, struct swar_classes *c)
{
	unsigned i;

	c->space = c->quote = c->esc = 0;
	c->commas = 0;
	for (i = 0; i < 64; i++) {
		uint64_t bit = (uint64_t)1 << i;
		unsigned char b = p[i];

		if (b == ' ')
			c->space |= bit;
		else if (b == '"')
			c->quote |= bit;
		else if (b == ',')
			c->commas++;
		else if (b < 0x20 || b >= 0x7f || b == '\\')
			c->esc |= bit;
	}
}
#endif

#endif
