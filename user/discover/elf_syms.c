// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#include "discover/elf_syms.h"

const char *const tls_fn_names[TLS_FN_MAX] = {
	[TLS_FN_WRITE] = "SSL_write",       [TLS_FN_WRITE_EX] = "SSL_write_ex",
	[TLS_FN_READ] = "SSL_read",         [TLS_FN_READ_EX] = "SSL_read_ex",
	[TLS_FN_SHUTDOWN] = "SSL_shutdown", [TLS_FN_FREE] = "SSL_free",
};

/* Virtual address -> file offset through the PT_LOAD that maps it. */
static size_t vaddr_to_off(Elf *elf, GElf_Addr addr)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (addr >= ph.p_vaddr && addr < ph.p_vaddr + ph.p_memsz)
			return addr - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

static int scan_section(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct tls_syms *syms)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t count, found = 0;

	if (!data || !sh->sh_entsize)
		return 0;
	count = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < count; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || name[0] != 'S' || name[1] != 'S' || name[2] != 'L')
			continue;
		for (int f = 0; f < TLS_FN_MAX; f++) {
			if (!syms->off[f] && strcmp(name, tls_fn_names[f]) == 0) {
				syms->off[f] = vaddr_to_off(elf, sym.st_value);
				found += syms->off[f] != 0;
			}
		}
	}
	return found;
}

int elf_syms__find_tls(const char *path, struct tls_syms *syms)
{
	Elf *elf = NULL;
	Elf_Scn *scn = NULL;
	int fd, found = 0, err = 0;

	memset(syms, 0, sizeof(*syms));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = -ENOENT;
		goto cleanup;
	}
	/* .dynsym first: exported symbols are what a stripped binary keeps. */
	for (int pass = 0; pass < 2 && found < TLS_FN_MAX; pass++) {
		Elf32_Word want = pass == 0 ? SHT_DYNSYM : SHT_SYMTAB;

		scn = NULL;
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;

			if (gelf_getshdr(scn, &sh) && sh.sh_type == want)
				found += scan_section(elf, scn, &sh, syms);
		}
	}
cleanup:
	if (elf)
		elf_end(elf);
	close(fd);
	return err ? err : found;
}
