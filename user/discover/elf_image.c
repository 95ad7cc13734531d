// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "discover/elf_image.h"

struct elf_image {
	Elf *elf;
	const uint8_t *map; /* whole file */
	size_t size;
	bool owned;         /* map is ours to munmap */
};

static int wrap(struct elf_image *img, struct elf_image **out)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	img->elf = elf_memory((char *)img->map, img->size);
	if (!img->elf || elf_kind(img->elf) != ELF_K_ELF)
		return -ENOENT;
	*out = img;
	return 0;
}

int elf_image__open(const char *path, struct elf_image **out)
{
	struct elf_image *img;
	struct stat st;
	void *map;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < 64) {
		close(fd);
		return -ENOENT;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	err = map == MAP_FAILED ? -errno : 0;
	close(fd);
	if (err)
		return err;
	img = calloc(1, sizeof(*img));
	if (!img) {
		munmap(map, st.st_size);
		return -ENOMEM;
	}
	img->map = map;
	img->size = st.st_size;
	img->owned = true;
	err = wrap(img, out);
	if (err)
		elf_image__close(img);
	return err;
}

int elf_image__from_memory(const void *buf, size_t len, struct elf_image **out)
{
	struct elf_image *img = calloc(1, sizeof(*img));
	int err;

	if (!img)
		return -ENOMEM;
	img->map = buf;
	img->size = len;
	err = wrap(img, out);
	if (err)
		elf_image__close(img);
	return err;
}

void elf_image__close(struct elf_image *img)
{
	if (!img)
		return;
	if (img->elf)
		elf_end(img->elf);
	if (img->owned)
		munmap((void *)img->map, img->size);
	free(img);
}

/* Section bytes, bounds-checked against the file (a corrupt header must
 * not send us outside the mapping). */
static const uint8_t *scn_bytes(const struct elf_image *img, const GElf_Shdr *sh, size_t *len)
{
	if (sh->sh_type == SHT_NOBITS || sh->sh_offset > img->size ||
	    sh->sh_size > img->size - sh->sh_offset)
		return NULL;
	*len = sh->sh_size;
	return img->map + sh->sh_offset;
}

const uint8_t *elf_image__section(const struct elf_image *img, const char *name, size_t *len,
				  uint64_t *addr)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(img->elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(img->elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (!gelf_getshdr(scn, &sh))
			continue;
		n = elf_strptr(img->elf, shstrndx, sh.sh_name);
		if (n && strcmp(n, name) == 0) {
			if (addr)
				*addr = sh.sh_addr;
			return scn_bytes(img, &sh, len);
		}
	}
	return NULL;
}

static int scan_syms(const struct elf_image *img, Elf_Scn *scn, const GElf_Shdr *sh,
		     const char *const *names, size_t n, struct elf_func *out)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t count;
	int found = 0;

	if (!data || !sh->sh_entsize)
		return 0;
	count = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < count; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		name = elf_strptr(img->elf, sh->sh_link, sym.st_name);
		if (!name)
			continue;
		for (size_t f = 0; f < n; f++) {
			if (!out[f].addr && strcmp(name, names[f]) == 0) {
				out[f].addr = sym.st_value;
				out[f].size = sym.st_size;
				found++;
			}
		}
	}
	return found;
}

int elf_image__funcs(const struct elf_image *img, const char *const *names, size_t n,
		     struct elf_func *out)
{
	int found = 0;

	memset(out, 0, n * sizeof(*out));
	/* .dynsym first: exported symbols are what a stripped binary keeps. */
	for (int pass = 0; pass < 2 && (size_t)found < n; pass++) {
		Elf32_Word want = pass == 0 ? SHT_DYNSYM : SHT_SYMTAB;
		Elf_Scn *scn = NULL;

		while ((scn = elf_nextscn(img->elf, scn))) {
			GElf_Shdr sh;

			if (gelf_getshdr(scn, &sh) && sh.sh_type == want)
				found += scan_syms(img, scn, &sh, names, n, out);
		}
	}
	return found;
}

bool elf_image__has_symtab(const struct elf_image *img)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(img->elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB && sh.sh_size > sh.sh_entsize)
			return true;
	}
	return false;
}

/* Sections that can hold the evidence strings: read-only data (string
 * literals, __func__, __FILE__, version text) and Go's writable
 * .go.buildinfo. Writable data and unwind tables are skipped: Bun's 220 MB
 * JS bundle (.bun) and Codex's 30 MB of unwind tables made every string
 * the file lacks cost a scan of them (most of locating's time). */
static bool string_section(const struct elf_image *img, size_t shstrndx, const GElf_Shdr *sh)
{
	const char *name;

	if (sh->sh_type != SHT_PROGBITS || !(sh->sh_flags & SHF_ALLOC) ||
	    (sh->sh_flags & SHF_EXECINSTR))
		return false;
	name = elf_strptr(img->elf, shstrndx, sh->sh_name);
	if (!name)
		return !(sh->sh_flags & SHF_WRITE);
	if (sh->sh_flags & SHF_WRITE)
		return strcmp(name, ".go.buildinfo") == 0;
	return strcmp(name, ".eh_frame") && strcmp(name, ".eh_frame_hdr") &&
	       strcmp(name, ".gcc_except_table");
}

/* First occurrence of needle in the string sections for which accept (when
 * given) says yes; *end is the end of that section. */
static const uint8_t *find_where(const struct elf_image *img, const void *needle, size_t n,
				 bool (*accept)(const uint8_t *hit, const uint8_t *end, size_t n),
				 const uint8_t **end)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(img->elf, &shstrndx))
		shstrndx = SHN_UNDEF;
	while ((scn = elf_nextscn(img->elf, scn))) {
		GElf_Shdr sh;
		const uint8_t *b, *e, *hit;
		size_t len;

		if (!gelf_getshdr(scn, &sh) || !string_section(img, shstrndx, &sh))
			continue;
		b = scn_bytes(img, &sh, &len);
		if (!b)
			continue;
		for (e = b + len; (hit = memmem(b, e - b, needle, n)); b = hit + 1) {
			if (accept && !accept(hit, e, n))
				continue;
			if (end)
				*end = e;
			return hit;
		}
	}
	return NULL;
}

const uint8_t *elf_image__find_data(const struct elf_image *img, const void *needle, size_t n,
				    const uint8_t **end)
{
	return find_where(img, needle, n, NULL, end);
}

uint64_t elf_image__addr_of(const struct elf_image *img, const uint8_t *p)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(img->elf, scn))) {
		GElf_Shdr sh;
		const uint8_t *b;
		size_t len;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC))
			continue;
		b = scn_bytes(img, &sh, &len);
		if (b && p >= b && p < b + len)
			return sh.sh_addr + (p - b);
	}
	return 0;
}

static bool digit_follows(const uint8_t *hit, const uint8_t *end, size_t n)
{
	return hit + n < end && hit[n] >= '0' && hit[n] <= '9';
}

bool elf_image__version_after(const struct elf_image *img, const char *prefix, char *out,
			      size_t len)
{
	size_t n = strlen(prefix), o = 0;
	const uint8_t *end, *p = find_where(img, prefix, n, digit_follows, &end);

	if (len)
		out[0] = 0;
	if (!p)
		return false;
	for (p += n; p < end && o + 1 < len; p++) {
		char c = *p;

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '.' || c == '-' || c == '_'))
			break;
		out[o++] = c;
	}
	if (len)
		out[o] = 0;
	return true;
}

/* The executable PT_LOAD holding [addr, addr + len), bounds-checked. */
static bool code_load(const struct elf_image *img, uint64_t addr, size_t len, GElf_Phdr *out)
{
	size_t n;

	if (elf_getphdrnum(img->elf, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(img->elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (addr < ph.p_vaddr || addr - ph.p_vaddr >= ph.p_filesz ||
		    len > ph.p_filesz - (addr - ph.p_vaddr))
			continue;
		if (ph.p_offset > img->size || ph.p_filesz > img->size - ph.p_offset)
			return false;
		*out = ph;
		return true;
	}
	return false;
}

const uint8_t *elf_image__code(const struct elf_image *img, uint64_t addr, size_t len)
{
	GElf_Phdr ph;

	if (!code_load(img, addr, len, &ph))
		return NULL;
	return img->map + ph.p_offset + (addr - ph.p_vaddr);
}

const uint8_t *elf_image__file_bytes(const struct elf_image *img, uint64_t off, size_t len)
{
	if (off > img->size || len > img->size - off)
		return NULL;
	return img->map + off;
}

uint64_t elf_image__file_off(const struct elf_image *img, uint64_t addr)
{
	GElf_Phdr ph;

	if (!code_load(img, addr, 1, &ph))
		return 0;
	return addr - ph.p_vaddr + ph.p_offset;
}
