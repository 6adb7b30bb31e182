#include <stdio.h>
int main(void)
{
    puts("lookout");
    return 0;
}
