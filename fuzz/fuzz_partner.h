/*
 * The partner loader (harness/partner.c) on an arbitrary file, shared by the two
 * targets of its two formats (fuzz_partner_xml.c, fuzz_partner_text.c): partner_load
 * picks the format from the first byte ('<' is XML), so each target keeps only the
 * inputs of its own format and the fuzzer does not spend time on the other's.
 *
 * Each input is loaded twice: without an identity, and with "partner.test" (which
 * picks one of several partners, or must name the only one). A loaded configuration
 * is written back as both cmdlets.
 */
#ifndef S2S_FUZZ_PARTNER_H
#define S2S_FUZZ_PARTNER_H

#include "buf.h"
#include "fuzz.h"
#include "partner.h"

static const char *partner_path;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        partner_path = fuzz_tmpfile("partner");
        return 0;
}

static void load(const char *identity)
{
        struct partner p;
        char err[512];
        struct buf b;

        if (partner_load(partner_path, identity, &p, err, sizeof(err)) != 0) {
                FUZZ_ASSERT(err[0] != '\0' && p.primary == NULL);
                return;
        }
        FUZZ_ASSERT(p.primary != NULL);
        buf_init(&b, 0);
        (void)partner_cmdlet(&p, "New", &b);
        (void)partner_cmdlet(&p, "Set", &b);
        buf_cleanup(&b);
        partner_cleanup(&p);
}

/* Loads data when its first byte says it is in the format wanted (xml: 1 or 0). */
static int fuzz_partner(const uint8_t *data, size_t size, int xml)
{
        if (size == 0 || (data[0] == '<') != xml)
                return 0;
        fuzz_write_file(partner_path, data, size);
        load(NULL);
        load("partner.test");
        return 0;
}

#endif
