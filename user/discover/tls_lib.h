/* SPDX-License-Identifier: MIT */
/*
 * The TLS library seam: one description per library (how to recognise the
 * files that carry it, how to locate its plaintext functions, which BPF
 * programs go where), and the probe plan a file gets from it.
 *
 * A plan is plain data: a list of (BPF program, file offset) pairs that
 * capture/probes.c attaches as uprobes. Every offset in a plan is a
 * verified function start or, for Go, a verified RET instruction inside a
 * function with known bounds; a file whose functions cannot be found with
 * confidence gets an empty plan and a note saying why.
 */
#ifndef AR_DISCOVER_TLS_LIB_H
#define AR_DISCOVER_TLS_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_image;
struct text_refs;

/* Libraries we can recognise. */
enum tls_lib_id {
	TLS_LIB_NONE = 0,
	TLS_LIB_OPENSSL,   /* OpenSSL with SSL_read/SSL_write symbols (libssl, node) */
	TLS_LIB_GO,        /* Go crypto/tls */
	TLS_LIB_BORINGSSL, /* BoringSSL, static and stripped (Bun) */
	TLS_LIB_OPENSSL_STATIC, /* OpenSSL, static and stripped (Codex) */
	TLS_LIB_RUSTLS,    /* rustls (Codex with a custom CA) */
	TLS_LIB_AEAD,      /* aws-lc/BoringSSL libcrypto exporting EVP_AEAD_CTX_* */
	TLS_LIB_MAX,
};

/* BPF programs a plan can place; tls_progs[] names each one in
 * bpf/capture.bpf.c and says whether it is a uretprobe. */
enum tls_prog {
	TLS_PROG_SSL_WRITE, TLS_PROG_SSL_WRITE_RET,
	TLS_PROG_SSL_WRITE_EX, TLS_PROG_SSL_WRITE_EX_RET,
	TLS_PROG_SSL_READ, TLS_PROG_SSL_READ_RET,
	TLS_PROG_SSL_READ_EX, TLS_PROG_SSL_READ_EX_RET,
	TLS_PROG_SSL_SHUTDOWN, TLS_PROG_SSL_FREE,
	TLS_PROG_GO_WRITE,     /* (*crypto/tls.Conn).Write entry */
	TLS_PROG_GO_WRITE_RET, /* a RET instruction of Write (plain uprobe) */
	TLS_PROG_GO_READ,
	TLS_PROG_GO_READ_RET,
	TLS_PROG_GO_CLOSE,     /* (*crypto/tls.Conn).Close entry */
	/* OpenSSL >= 3.3 ssl_write_internal(s, buf, num, flags, written);
	 * its return goes to TLS_PROG_SSL_WRITE_EX_RET */
	TLS_PROG_SSL_WRITE_INTERNAL,
	/* aws-lc's AEAD API under rustls (tls_awslc.c, bpf/tls_aead.bpf.h):
	 * EVP_AEAD_CTX_init(_with_direction) links a context to the socket
	 * just read; seal's entry and open's return see each TLS record */
	TLS_PROG_AEAD_INIT, TLS_PROG_AEAD_SEAL, TLS_PROG_AEAD_OPEN, TLS_PROG_AEAD_OPEN_RET,
	TLS_PROG_MAX,
};

struct tls_prog_desc {
	const char *bpf_name;  /* program name in the BPF object */
	const char *what;      /* function it probes, for logs and --list-tls */
	bool retprobe;         /* attach as uretprobe */
};
extern const struct tls_prog_desc tls_progs[TLS_PROG_MAX];

#define TLS_PLAN_MAX 96

struct tls_probe {
	uint16_t prog;  /* enum tls_prog */
	uint8_t inner;  /* on the function a wrapper pair forwards to (tls_wrapper.h) */
	uint64_t off;   /* file offset for the uprobe */
};

/* What one file carries and where its probes go. */
struct tls_plan {
	enum tls_lib_id lib;       /* library the probes are for, or the
				    * first one detected when n == 0 */
	uint32_t detected;         /* bit per enum tls_lib_id found in the file */
	char versions[TLS_LIB_MAX][40]; /* per detected library, when the file says */
	size_t n;                  /* probes; 0: nothing located */
	struct tls_probe probes[TLS_PLAN_MAX];
	char note[160];            /* why a detected library was not located, or "" */
};

struct tls_lib_desc {
	enum tls_lib_id id;
	const char *name;
	/* Evidence that img carries the library (symbols, sections, version
	 * strings); fills version when it can. */
	bool (*detect)(const struct elf_image *img, char *version, size_t len);
	/* Asks refs for the .text references its locate will look up, so that
	 * every library of the file shares one pass (NULL: none). */
	void (*want)(const struct elf_image *img, struct text_refs *refs);
	/* Appends verified probes to plan. Returns how many, 0 with plan->note
	 * set when the functions cannot be found with confidence, or -errno. */
	int (*locate)(const struct elf_image *img, struct text_refs *refs, struct tls_plan *plan);
};

/* In the order they are tried. */
extern const struct tls_lib_desc tls_libs[];
extern const size_t tls_n_libs;

const char *tls_lib__name(enum tls_lib_id id);

/* Detects every library img carries and plans probes for the first one
 * that can be located, and for rustls beside it (Codex carries both and
 * picks one at run time). Returns plan->n (0: nothing to attach; plan->lib is
 * TLS_LIB_NONE when no TLS library was recognised at all). */
int tls_lib__plan_image(const struct elf_image *img, struct tls_plan *plan);
/* Same for a path. Returns plan->n or -errno (-ENOENT: not ELF). */
int tls_lib__plan(const char *path, struct tls_plan *plan);

/* Told the plan so far when one library of a file is located and another
 * is still to be located (Codex: OpenSSL, then rustls), so that the first
 * library's probes need not wait for the second's. plan is only valid
 * during the call; its probes are a prefix of the final plan's. */
typedef void (*tls_plan_early_fn)(void *ctx, const struct tls_plan *plan);
/* tls_lib__plan with early told (NULL: never), and a debug log line of
 * where the time went (ELF open, detection, each library, the .text
 * pass). */
int tls_lib__plan_early(const char *path, struct tls_plan *plan, tls_plan_early_fn early,
			void *ctx);
/* Its shape, for those who take a stand-in (the locator, tls_files). */
typedef int (*tls_plan_fn)(const char *path, struct tls_plan *plan, tls_plan_early_fn early,
			   void *ctx);
/* tls_lib__plan_image with early, and the time per stage written into
 * times[tlen] when times is given. */
int tls_lib__plan_staged(const struct elf_image *img, struct tls_plan *plan,
			 tls_plan_early_fn early, void *ctx, char *times, size_t tlen);

/* Bit per enum tls_lib_id whose probes the plan holds: plan->lib's, and
 * rustls's when it has AEAD probes beside them. */
uint32_t tls_plan__located(const struct tls_plan *plan);

/* A function built with -fcf-protection starts with endbr64, which the
 * kernel single-steps out of line: a debug trap on every call. When a push
 * (which the kernel emulates) follows it, moves pr onto the push: endbr64
 * touches neither the stack nor a register, so the arguments are in place
 * and a return probe still finds the return address at rsp. Every
 * located plan goes through it. */
void tls_probe__skip_endbr64(const struct elf_image *img, struct tls_probe *pr);

/* Appends one probe; false (and nothing added) when the plan is full. */
bool tls_plan__add(struct tls_plan *plan, enum tls_prog prog, uint64_t off);

/* "OpenSSL 3.0.11", "Go crypto/tls go1.19.8", ... for messages. */
void tls_plan__describe(const struct tls_plan *plan, char *buf, size_t len);

/* Each library's functions (tls_openssl.c, tls_go.c, tls_static.c). */
bool tls_openssl__detect(const struct elf_image *img, char *version, size_t len);
int tls_openssl__locate(const struct elf_image *img, struct text_refs *refs,
			struct tls_plan *plan);
/* AGENTRACE_NO_TLS_INTERNAL is set: OpenSSL's wrappers are probed at
 * their entries, not on the function they call (tls_wrapper.h); for
 * same-run comparisons (bench tls_traced, row W). Plans are then not
 * cached. */
bool tls_openssl__wrappers_only(void);
bool tls_go__detect(const struct elf_image *img, char *version, size_t len);
int tls_go__locate(const struct elf_image *img, struct text_refs *refs,
		   struct tls_plan *plan);
bool tls_static__detect_boringssl(const struct elf_image *img, char *version, size_t len);
bool tls_static__detect_openssl(const struct elf_image *img, char *version, size_t len);
bool tls_static__detect_rustls(const struct elf_image *img, char *version, size_t len);
void tls_static__want_openssl(const struct elf_image *img, struct text_refs *refs);
void tls_boringssl__want(const struct elf_image *img, struct text_refs *refs);
void tls_awslc__want(const struct elf_image *img, struct text_refs *refs);
int tls_static__locate_openssl(const struct elf_image *img, struct text_refs *refs,
			       struct tls_plan *plan);
int tls_boringssl__locate(const struct elf_image *img, struct text_refs *refs,
			  struct tls_plan *plan);
int tls_awslc__locate(const struct elf_image *img, struct text_refs *refs,
		      struct tls_plan *plan);
bool tls_awslc__detect_exported(const struct elf_image *img, char *version, size_t len);
int tls_awslc__locate_exported(const struct elf_image *img, struct text_refs *refs,
			       struct tls_plan *plan);

#endif
