/* vmm/bus.c: a sorted array of device windows, binary-searched per exit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"

struct bus {
	struct bus_dev **dev;
	size_t n, cap;
};

struct bus *
bus_new(void)
{
	return calloc(1, sizeof(struct bus));
}

void
bus_free(struct bus *b)
{
	if (!b)
		return;
	free(b->dev);
	free(b);
}

/* Index of the first device whose window ends after addr. */
static size_t
lower(const struct bus *b, uint64_t addr)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bus_dev *d = b->dev[mid];
		if (d->base + d->len - 1 < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
bus_register(struct bus *b, struct bus_dev *d)
{
	size_t i;

	if (!d->len || d->base + d->len - 1 < d->base) {
		errno = EINVAL;
		return -1;
	}
	i = lower(b, d->base);
	if (i < b->n && b->dev[i]->base <= d->base + d->len - 1) {
		errno = EEXIST;
		return -1;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 8;
		struct bus_dev **nd = realloc(b->dev, cap * sizeof(*nd));
		if (!nd)
			return -1;
		b->dev = nd;
		b->cap = cap;
	}
	memmove(b->dev + i + 1, b->dev + i, (b->n - i) * sizeof(*b->dev));
	b->dev[i] = d;
	b->n++;
	return 0;
}

struct bus_dev *
bus_find(struct bus *b, uint64_t addr, uint64_t *off)
{
	size_t i = lower(b, addr);

	if (i == b->n || b->dev[i]->base > addr)
		return 0;
	*off = addr - b->dev[i]->base;
	return b->dev[i];
}

struct bus_dev *
bus_first(struct bus *b)
{
	return b->n ? b->dev[0] : 0;
}

struct bus_dev *
bus_next(struct bus *b, struct bus_dev *d)
{
	size_t i = lower(b, d->base);

	return i + 1 < b->n ? b->dev[i + 1] : 0;
}

/* The device that wholly holds [addr, addr+size), or NULL. */
static struct bus_dev *
span(struct bus *b, uint64_t addr, unsigned size, uint64_t *off)
{
	struct bus_dev *d = bus_find(b, addr, off);

	if (d && size > d->len - *off)
		return 0;
	return d;
}

int
bus_read(struct bus *b, uint64_t addr, void *data, unsigned size)
{
	uint64_t off;
	struct bus_dev *d = span(b, addr, size, &off);

	if (!d || !d->read) {
		memset(data, 0xff, size);
		return 0;
	}
	d->read(d, off, data, size);
	return 1;
}

int
bus_write(struct bus *b, uint64_t addr, const void *data, unsigned size)
{
	uint64_t off;
	struct bus_dev *d = span(b, addr, size, &off);

	if (!d || !d->write)
		return 0;
	d->write(d, off, data, size);
	return 1;
}
