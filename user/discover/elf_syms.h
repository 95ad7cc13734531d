/* SPDX-License-Identifier: MIT */
/* Finds the file offsets of OpenSSL entry points in an ELF file (a shared
 * libssl or a binary that embeds OpenSSL), for uprobe attachment. */
#ifndef AR_DISCOVER_ELF_SYMS_H
#define AR_DISCOVER_ELF_SYMS_H

#include <stddef.h>

enum tls_fn {
	TLS_FN_WRITE, TLS_FN_WRITE_EX, TLS_FN_READ, TLS_FN_READ_EX,
	TLS_FN_SHUTDOWN, TLS_FN_FREE, TLS_FN_MAX,
};

extern const char *const tls_fn_names[TLS_FN_MAX];

struct tls_syms {
	size_t off[TLS_FN_MAX]; /* file offset, 0 when absent */
};

/* Fills syms from path's .dynsym (then .symtab). Returns the number of
 * functions found, or a negative errno (-ENOENT not ELF/unreadable). A
 * file with SSL_read and SSL_write is worth attaching to. */
int elf_syms__find_tls(const char *path, struct tls_syms *syms);

#endif
