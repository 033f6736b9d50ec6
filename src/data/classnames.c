/* Built-in class-name tables: Imagenette and ImageWoof wnids, Fashion-MNIST and CIFAR-10 labels.
 * Data only; no lookups beyond a linear scan of 20 entries. */
#include <string.h>

#include "data/internal.h"

static const struct {
    const char *wnid, *name;
} wnids[] = {
    /* Imagenette */
    {"n01440764", "tench"},
    {"n02102040", "English springer"},
    {"n02979186", "cassette player"},
    {"n03000684", "chain saw"},
    {"n03028079", "church"},
    {"n03394916", "French horn"},
    {"n03417042", "garbage truck"},
    {"n03425413", "gas pump"},
    {"n03445777", "golf ball"},
    {"n03888257", "parachute"},
    /* ImageWoof */
    {"n02086240", "Shih-Tzu"},
    {"n02087394", "Rhodesian ridgeback"},
    {"n02088364", "beagle"},
    {"n02089973", "English foxhound"},
    {"n02093754", "Border terrier"},
    {"n02096294", "Australian terrier"},
    {"n02099601", "golden retriever"},
    {"n02105641", "Old English sheepdog"},
    {"n02111889", "Samoyed"},
    {"n02115641", "dingo"},
};

const char *ct__wnid_name(const char *wnid)
{
    for (size_t i = 0; i < sizeof wnids / sizeof wnids[0]; i++)
        if (!strcmp(wnids[i].wnid, wnid)) return wnids[i].name;
    return NULL;
}

const char *const ct__fashion_names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                           "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

const char *const ct__cifar_names[10] = {"airplane", "automobile", "bird",  "cat",  "deer",
                                         "dog",      "frog",       "horse", "ship", "truck"};
