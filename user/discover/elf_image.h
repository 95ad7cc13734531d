/* SPDX-License-Identifier: MIT */
/* A read-only view of an ELF file for locating TLS code: sections by name,
 * function symbols, string evidence and virtual address -> file offset.
 * The file is mapped once; every pointer handed out lives until
 * elf_image__close. Not thread-safe. */
#ifndef AR_DISCOVER_ELF_IMAGE_H
#define AR_DISCOVER_ELF_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_image;

struct elf_func {
	uint64_t addr; /* virtual address, 0 when not found */
	uint64_t size; /* st_size; 0 when the symbol table does not say */
};

/* Maps path. Returns 0 and *out, -ENOENT when it is not an ELF file, or
 * another -errno (unreadable). */
int elf_image__open(const char *path, struct elf_image **out);
/* Builds a view over bytes the caller keeps alive (unit tests and fuzzing).
 * Returns 0 and *out, or -ENOENT / -ENOMEM. */
int elf_image__from_memory(const void *buf, size_t len, struct elf_image **out);
void elf_image__close(struct elf_image *img);

/* Bytes of the named section (not SHT_NOBITS), or NULL. *addr receives its
 * virtual address (0 for unallocated sections). */
const uint8_t *elf_image__section(const struct elf_image *img, const char *name, size_t *len,
				  uint64_t *addr);

/* Looks up n function symbols by exact name in one pass over .dynsym, then
 * .symtab. out[i].addr stays 0 for names not found. Returns the number
 * found. */
int elf_image__funcs(const struct elf_image *img, const char *const *names, size_t n,
		     struct elf_func *out);

/* True when the image has any function symbol at all (not stripped). */
bool elf_image__has_symtab(const struct elf_image *img);

/* First occurrence of needle in the read-only data sections (.rodata and
 * friends; not unwind tables) and .go.buildinfo, or NULL. For version
 * strings and __func__ names. */
const uint8_t *elf_image__find_data(const struct elf_image *img, const void *needle, size_t n,
				    const uint8_t **end);

/* Virtual address of a pointer into an allocated section's bytes (from
 * elf_image__find_data or elf_image__section), or 0. */
uint64_t elf_image__addr_of(const struct elf_image *img, const uint8_t *p);

/* Finds prefix followed by a digit in the data sections and copies the
 * version token after the prefix (digits, letters, '.', '-', '_', at most
 * len - 1) into out. Returns false (out "") when there is none. */
bool elf_image__version_after(const struct elf_image *img, const char *prefix, char *out,
			      size_t len);

/* Code bytes at virtual address addr, at least len of them inside one
 * executable PT_LOAD, or NULL. */
const uint8_t *elf_image__code(const struct elf_image *img, uint64_t addr, size_t len);

/* The file's bytes [off, off + len), or NULL past its end. */
const uint8_t *elf_image__file_bytes(const struct elf_image *img, uint64_t off, size_t len);

/* File offset of virtual address addr through the executable PT_LOAD that
 * maps it (what a uprobe wants), or 0. */
uint64_t elf_image__file_off(const struct elf_image *img, uint64_t addr);

#endif
