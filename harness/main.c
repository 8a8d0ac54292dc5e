#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
        if (argc > 1 && strcmp(argv[1], "--version") == 0) {
                printf("s2scheck %s\n", S2S_VERSION);
                return 0;
        }
        fprintf(stderr, "s2scheck: the command line is not written yet\n");
        return 2;
}
