package models_test

import (
	"fmt"

	"github.com/embviz/embviz/models"
)

// New builds any model by name from Options whose zero values mean "the model's default".
func ExampleNew() {
	for _, name := range models.Names() {
		m, err := models.New(name, models.Options{})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-8s %-8s embed=%-3d taps=%v\n", name, m.Name(), m.EmbedDim(), m.TapNames())
	}
	cifar, _ := models.New("cnn", models.Options{InputShape: []int{32, 32, 3}, Residual: true, Norm: "batch"})
	fmt.Println(cifar.Name(), cifar.EmbedDim(), cifar.TapNames())
	_, err := models.New("resnet", models.Options{})
	fmt.Println(err)
	// Output:
	// cnn      CNN      embed=32  taps=[conv1 conv2 fc1 fc2]
	// colormlp ColorMLP embed=4   taps=[fc1 fc2 fc3 fc4]
	// mlp      MLP      embed=32  taps=[fc1 fc2 fc3]
	// vae      VAE      embed=2   taps=[enc1 enc2 enc3 mean logvar]
	// vit      ViT      embed=256 taps=[patch_embed block1 block2 block3 block4]
	// ResCNN 128 [conv1 conv2 conv3 fc1 fc2]
	// models: unknown model "resnet"; known models: cnn, colormlp, mlp, vae, vit
}
